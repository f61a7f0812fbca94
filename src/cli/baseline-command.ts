import type { Command } from 'commander';
import { SightingSet } from '../enrich/baseline.js';
import { checkInputPaths } from '../input/expand.js';
import { UsageError } from '../model/errors.js';
import { systemClock } from '../model/logger.js';
import { escapeControls } from '../model/terminal-text.js';
import { runScan } from '../pipeline/scan.js';
import { buildMappingTable } from '../rules/logsources/registry.js';
import { SqliteStore } from '../sinks/sqlite-store.js';
import { createFormatRegistry } from '../sources/registry.js';
import { geoResolver } from './baseline-options.js';
import { EXIT_OK, EXIT_USAGE, lineWriter, loadContextOption } from './common.js';
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
    .option('--format <name>', 'read every input as this format')
    .option('--no-geo', 'no country and ASN lookup of source addresses')
    .action(async (paths: string[], options: BuildOptions) => {
      process.exitCode = await buildCommand(paths, options);
    });
  baseline
    .command('show')
    .description('list the stored baselines')
    .option('--db <path>', 'SQLite database that holds the baselines', 'trustwatch.db')
    .option('--party <name>', 'only this party')
    .option('--actor <name>', 'only this actor (lower case, as stored)')
    .action((options: ShowOptions) => {
      process.exitCode = showCommand(options);
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

  // A baseline learned from inputs that could not be read would pass for a quiet estate.
  const nothing = nothingScanned(summary.files);
  if (nothing !== undefined) {
    store.close();
    for (const file of summary.files) {
      if (file.error !== undefined) write(`  ${file.path}: not read: ${file.error}`);
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

function showCommand(options: ShowOptions): number {
  if (options.db === ':memory:')
    throw new UsageError('baseline show reads a database file; :memory: keeps no baselines');
  const store = new SqliteStore(options.db, systemClock, { existing: true });
  const sightings = [...store.loadBaseline().values()]
    .filter((item) =>
      options.party ? item.kind === 'party' && item.entity === options.party : true,
    )
    .filter((item) =>
      options.actor ? item.kind === 'actor' && item.entity === options.actor : true,
    )
    .sort(
      (a, b) =>
        a.kind.localeCompare(b.kind) ||
        a.entity.localeCompare(b.entity) ||
        a.attribute.localeCompare(b.attribute) ||
        b.count - a.count,
    );
  store.close();
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
