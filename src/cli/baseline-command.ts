import type { Command } from 'commander';
import type { DomainDirectory } from '../context/account-names.js';
import { compileAccountPattern } from '../context/account-pattern.js';
import { keyActors, type Sighting, SightingSet } from '../enrich/baseline.js';
import { checkInputPaths } from '../input/expand.js';
import { UsageError } from '../model/errors.js';
import { systemClock } from '../model/logger.js';
import { escapeControls } from '../model/terminal-text.js';
import { type FileStats, runScan } from '../pipeline/scan.js';
import { buildMappingTable } from '../rules/logsources/registry.js';
import { SqliteStore } from '../sinks/sqlite-store.js';
import { createFormatRegistry } from '../sources/registry.js';
import { geoResolver } from './baseline-options.js';
import { EXIT_OK, EXIT_USAGE, lineWriter, loadContextOption, lowerCaseName } from './common.js';
import { CliLogger } from './logger.js';
import { nothingScanned } from './nothing-scanned.js';
import { standardOutput } from './standard-output.js';

interface BuildOptions {
  context?: string;
  db: string;
  format?: string;
  geo: boolean;
}

interface ShowOptions {
  context?: string;
  db: string;
  party?: string;
  actor?: string;
}

export function registerBaseline(program: Command): void {
  const baseline = program
    .command('baseline')
    .description('first-seen baselines of third-party activity');
  baseline
    .command('build')
    .description('learn baselines from history into the database, without raising alerts')
    .argument('<paths...>', 'inputs to learn from')
    .option(
      '--context <file>',
      'third-party context file (default: ./trustwatch.yaml when present)',
    )
    .option('--db <path>', 'SQLite database to keep the baselines in', 'trustwatch.db')
    .option('--format <name>', 'read every input as this format', lowerCaseName)
    .option('--no-geo', 'no country and ASN lookup of source addresses')
    .action(async (paths: string[], options: BuildOptions) => {
      process.exitCode = await buildCommand(paths, options);
    });
  baseline
    .command('show')
    .description('list the stored baselines')
    .option(
      '--context <file>',
      'third-party context file whose domains relate account spellings (default: ./trustwatch.yaml when present)',
    )
    .option('--db <path>', 'SQLite database that holds the baselines', 'trustwatch.db')
    .option('--party <name>', 'only this party, by name in any case')
    .option(
      '--actor <pattern>',
      'only actors that this account glob matches, in any case and any spelling: THESHIRE\\u, theshire.local\\u and u@theshire.local name one actor',
    )
    .action(async (options: ShowOptions) => {
      process.exitCode = await showCommand(options);
    });
}

async function buildCommand(paths: string[], options: BuildOptions): Promise<number> {
  if (options.db === ':memory:')
    throw new UsageError('baselines must go into a database file, not :memory:');
  const context = await loadContextOption(options.context);
  await checkInputPaths(paths);
  const store = new SqliteStore(options.db, systemClock);
  const learning = new SightingSet();
  const geo = geoResolver(context, options.geo);
  const summary = await runScan(
    {
      paths,
      ...(options.format ? { format: options.format } : {}),
      context,
      rules: [],
      registry: createFormatRegistry(),
      mappings: buildMappingTable(),
      logger: new CliLogger({ level: 'warn', json: false }),
      clock: systemClock,
      ...(geo ? { geo } : {}),
      baseline: { snapshot: new SightingSet(), learning },
    },
    { alert: () => {} },
  );
  const write = lineWriter(process.stderr);

  // A baseline learned from inputs that gave no record would pass for a quiet estate.
  const nothing = nothingScanned(summary.files);
  if (nothing !== undefined) {
    store.close();
    for (const file of summary.files) {
      const line = failedInputLine(file);
      if (line !== undefined) write(line);
    }
    write(`trustwatch: nothing learned: ${nothing}, so no sightings were saved`);
    return EXIT_USAGE;
  }

  store.saveBaseline(learning);
  store.close();
  write(
    `Learned ${learning.size} sightings of third-party activity from ${summary.events} events in ${summary.files.length} inputs into ${options.db}`,
  );
  return EXIT_OK;
}

/**
 * Returns the summary line of an input that could not be read or whose every record was
 * rejected, or undefined for any other input.
 */
function failedInputLine(file: FileStats): string | undefined {
  if (file.error !== undefined) return `  ${file.path}: not read: ${file.error}`;
  if (file.rejected === 0 || file.parsed > 0) return undefined;

  const codes = Object.entries(file.rejectedByCode)
    .map(([code, count]) => `${code} ${count}`)
    .join(', ');
  const format = file.format ? ` [${file.format}]` : '';
  return `  ${file.path}${format} ${file.read} read, 0 parsed, ${file.rejected} rejected (${codes})`;
}

async function showCommand(options: ShowOptions): Promise<number> {
  if (options.db === ':memory:')
    throw new UsageError('baseline show reads a database file; :memory: keeps no baselines');
  if (options.party !== undefined && options.actor !== undefined) {
    throw new UsageError(
      'baseline show takes --party or --actor, not both: actor baselines are kept across parties',
    );
  }
  const context = await loadContextOption(options.context);
  const store = new SqliteStore(options.db, systemClock, { reading: true });
  const stored = keyActors(store.loadBaseline(), context.domains);
  store.close();

  const keep = sightingFilter(options, context.domains);
  const sightings = [...stored.values()]
    .filter(keep)
    .sort(
      (a, b) =>
        a.kind.localeCompare(b.kind) ||
        a.entity.localeCompare(b.entity) ||
        a.attribute.localeCompare(b.attribute) ||
        b.count - a.count,
    );
  if (sightings.length === 0) {
    const write = lineWriter(process.stderr);
    if (stored.size === 0) {
      write(
        `trustwatch: ${options.db} holds no baselines; baseline build or scan --learn add them`,
      );
    } else {
      const filter =
        options.party !== undefined ? `party "${options.party}"` : `actor "${options.actor}"`;
      write(
        `trustwatch: no baselines of ${escapeControls(filter)} among the ${stored.size} sightings in ${options.db}`,
      );
    }
  }

  // Tabs separate the columns, so each value is escaped on its own, tabs in it included.
  const out = standardOutput();
  for (const item of sightings) {
    const first = new Date(item.firstSeen).toISOString();
    const last = new Date(item.lastSeen).toISOString();
    const values = [item.kind, item.entity, item.attribute, item.value].map(escapeControls);
    out.write(`${values.join('\t')}\t${item.count}\t${first}\t${last}\n`);
  }
  return EXIT_OK;
}

/**
 * Builds the test of `--party` and `--actor`: a party name in any case, as `allow[].party`
 * compares it, and an account pattern, as `accounts` matches it.
 */
function sightingFilter(
  options: ShowOptions,
  domains: DomainDirectory,
): (sighting: Sighting) => boolean {
  if (options.party !== undefined) {
    const party = options.party.toLowerCase();
    return (item) => item.kind === 'party' && item.entity.toLowerCase() === party;
  }
  if (options.actor !== undefined) {
    const actor = compileAccountPattern(options.actor, domains);
    return (item) => item.kind === 'actor' && actor.test(item.entity);
  }
  return () => true;
}
