#!/usr/bin/env node
// Runs the statements of a JSON file ({"statements": ["…", …]}) in order in a fresh in-memory
// DuckDB. It prints as JSON the thread count DuckDB used and the columns of the first row of every
// result, merged. The benchmark starts it as a child process so that its wall time, CPU time and
// peak memory are measured alone, as the `trustwatch scan` child's are. It is plain JavaScript so
// that starting it costs no TypeScript transpiler, as the built CLI costs none.
//
// Usage: node bench/duckdb-query.mjs STATEMENTS.json [THREADS]   (no THREADS: DuckDB's default)
import { readFileSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';

const [file, threads] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node bench/duckdb-query.mjs STATEMENTS.json [THREADS]\n');
  process.exit(2);
}
const { statements } = JSON.parse(readFileSync(file, 'utf8'));
const instance = await DuckDBInstance.create(':memory:');
const connection = await instance.connect();
if (threads !== undefined) await connection.run(`SET threads = ${Number(threads)}`);
const setting = await connection.runAndReadAll("SELECT current_setting('threads') AS threads");
const counts = {};
for (const statement of statements) {
  const reader = await connection.runAndReadAll(statement);
  for (const [key, value] of Object.entries(reader.getRowObjectsJS()[0] ?? {})) {
    counts[key] = Number(value);
  }
}
const used = Number(setting.getRowObjectsJS()[0]?.threads);
process.stdout.write(`${JSON.stringify({ threads: used, counts })}\n`);
connection.closeSync();
instance.closeSync();
