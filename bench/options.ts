/** Command-line options of `npm run bench`. */
import { parseArgs } from 'node:util';
import { defaultCacheRoot } from './paths.js';

/** Row groups that `--only` selects, in the order they run. */
export const ROW_GROUPS = [
  'ceiling',
  'scan',
  'duckdb',
  'scaling',
  'evtx',
  'workers',
  'memory',
] as const;
export type RowGroup = (typeof ROW_GROUPS)[number];

export interface BenchOptions {
  /** Number of OTRF archives to read, the first in name order; all when undefined. */
  subset: number | undefined;
  only: ReadonlySet<RowGroup>;
  runs: number;
  /** Size in GB (10^9 bytes) of the larger generated input of the memory rows. */
  generateGb: number;
  seed: number;
  cache: string;
}

export const USAGE = `Usage: npm run bench -- [options]

  --subset N         read only the first N OTRF archives, in name order (default: all 112)
  --only NAMES       run only these row groups, comma-separated: ${ROW_GROUPS.join(', ')}
  --runs N           runs per timed row; the table shows medians (default: 1)
  --generate-gb X    size in GB of the larger generated input of the memory rows, compared
                     with 1 GB (default: 2; 10 writes 10 GB and needs 11 GB free)
  --seed N           seed of the generator (default: 1)
  --cache DIR        folder for unzipped, exported and generated inputs, reused across runs
                     (default: ${defaultCacheRoot()})
  --help             print this help

The shared inputs are read from TRUSTWATCH_SHARED, else ../shared beside the repository.`;

function positiveInteger(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`--${name} must be a whole number of at least 1, not "${text}"`);
  }
  return value;
}

/** Parses the options; returns undefined for `--help`. */
export function parseOptions(argv: readonly string[]): BenchOptions | undefined {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      subset: { type: 'string' },
      only: { type: 'string' },
      runs: { type: 'string', default: '1' },
      'generate-gb': { type: 'string', default: '2' },
      seed: { type: 'string', default: '1' },
      cache: { type: 'string', default: defaultCacheRoot() },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return undefined;

  const only = new Set<RowGroup>();
  for (const name of (values.only ?? ROW_GROUPS.join(',')).split(',')) {
    const trimmed = name.trim();
    if (!(ROW_GROUPS as readonly string[]).includes(trimmed)) {
      throw new Error(
        `--only: unknown row group "${trimmed}"; choose from ${ROW_GROUPS.join(', ')}`,
      );
    }
    only.add(trimmed as RowGroup);
  }
  const generateGb = Number(values['generate-gb']);
  if (!Number.isFinite(generateGb) || generateGb <= 1) {
    throw new Error(`--generate-gb must be a number of GB above 1, not "${values['generate-gb']}"`);
  }
  return {
    subset: values.subset === undefined ? undefined : positiveInteger('subset', values.subset),
    only,
    runs: positiveInteger('runs', values.runs),
    generateGb,
    seed: positiveInteger('seed', values.seed),
    cache: values.cache,
  };
}
