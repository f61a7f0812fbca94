import type { TrustContext } from '../context/context.js';
import { keyActors, SightingSet } from '../enrich/baseline.js';
import { GeoResolver } from '../enrich/geo.js';
import { UsageError } from '../model/errors.js';
import { runScan, type ScanConfig } from '../pipeline/scan.js';
import type { SqliteStore } from '../sinks/sqlite-store.js';
import { parseTimeOption } from './hunt-options.js';

/**
 * The baseline and geolocation parts of a scan: the stored baselines as a read-only snapshot,
 * an optional learning period scanned first (`--baseline-until`), and the sightings to store
 * afterwards when the user asks to learn (`--learn`).
 */

export interface BaselineOptions {
  learn?: boolean;
  /** End of the learning period, epoch ms, as parseBaselineUntil returns it. */
  baselineUntil?: number;
  geo: boolean;
}

export interface PreparedBaseline {
  config: Pick<ScanConfig, 'geo' | 'baseline' | 'huntFrom'>;
  /** Writes what the scans learned into the store (nothing unless learning). */
  save(): void;
}

export function geoResolver(context: TrustContext, enabled: boolean): GeoResolver | undefined {
  const settings = context.settings.geo;
  if (!enabled || !settings.enabled) return undefined;
  return new GeoResolver({
    ...(settings.country_database ? { countryDatabase: settings.country_database } : {}),
    ...(settings.asn_database ? { asnDatabase: settings.asn_database } : {}),
  });
}

/**
 * Parses `--baseline-until` in the notations of `--since`, in `zone` when the time names none.
 * Standard input cannot be read twice, so the option is a usage error with it.
 */
export function parseBaselineUntil(
  text: string | undefined,
  paths: readonly string[],
  zone: string,
  now: number,
): number | undefined {
  if (text === undefined) return undefined;
  if (paths.includes('-')) {
    throw new UsageError(
      '--baseline-until reads the inputs twice, so it cannot read standard input',
    );
  }
  return parseTimeOption('--baseline-until', text, zone, now);
}

export async function prepareBaseline(
  options: BaselineOptions,
  store: SqliteStore,
  base: ScanConfig,
): Promise<PreparedBaseline> {
  const geo = geoResolver(base.context, options.geo);
  const snapshot = keyActors(store.loadBaseline(), base.context.domains);
  const learning = options.learn ? new SightingSet() : undefined;
  const config: PreparedBaseline['config'] = {
    baseline: { snapshot, ...(learning ? { learning } : {}) },
  };
  if (geo) config.geo = geo;

  const until = options.baselineUntil;
  if (until !== undefined) {
    // The learning period is read first, without rules, so that the hunt sees its baseline.
    const period = new SightingSet();
    await runScan(
      {
        ...base,
        rules: [],
        ...(geo ? { geo } : {}),
        baseline: { snapshot: new SightingSet(), learning: period },
        learnUntil: until,
      },
      { alert: () => {} },
    );
    for (const sighting of period.values()) {
      snapshot.add(sighting);
      learning?.add(sighting);
    }
    config.huntFrom = until;
  }

  return {
    config,
    save: () => {
      if (learning) store.saveBaseline(learning);
    },
  };
}
