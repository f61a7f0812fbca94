/**
 * Checks each translated rule in DuckDB before the timed run. A rule whose predicate DuckDB
 * rejects (RE2 has no look-around or back-references, for example) moves to the rules left out
 * with DuckDB's message. The check runs each predicate on one row of NULLs, so it finds errors
 * of the expression itself, such as an invalid regular expression, not errors of other values.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { eventColumns, mergeUses } from './query.js';
import type { Translation } from './translate.js';

export async function validateTranslation(translation: Translation): Promise<Translation> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    // One row of NULLs with every column of the events table, typed as the load types them.
    const { columns } = eventColumns(mergeUses(translation.translated));
    const nulls = columns.map((column) => `CAST(NULL AS ${column.type}) AS ${column.name}`);
    await connection.run(`CREATE TABLE events AS SELECT ${nulls.join(', ')}`);

    const result: Translation = { translated: [], skipped: [...translation.skipped] };
    for (const rule of translation.translated) {
      try {
        await connection.run(`SELECT count(*) FILTER (WHERE ${rule.sql}) FROM events`);
        result.translated.push({ ...rule, alias: `r${result.translated.length}` });
      } catch (error) {
        const message = (error as Error).message.split('\n')[0] ?? 'rejected';
        result.skipped.push({ rule: rule.rule, reason: `DuckDB: ${message}` });
      }
    }
    return result;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
