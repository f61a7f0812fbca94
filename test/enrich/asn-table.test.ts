import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { Ipv4AsnTable, loadIpv4AsnTable } from '../../src/enrich/asn-table.js';

/**
 * The ASN table, read in place, against a search over every parsed line: the shipped table of
 * ip-location-db, and small tables with the irregular lines a user's own CSV may have.
 */

type Row = [start: number, end: number, asn: number, org: string];

/** Parses the lines that begin with three numbers, each followed by a comma. */
function parseRows(text: string): Row[] {
  const rows: Row[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const match = /^(\d+),(\d+),(\d+),(.*)$/s.exec(line);
    if (!match) continue;
    const org = match[4] as string;
    const name =
      org.startsWith('"') && org.endsWith('"') ? org.slice(1, -1).replace(/""/g, '"') : org;
    rows.push([Number(match[1]), Number(match[2]), Number(match[3]), name]);
  }
  return rows;
}

/** Returns the AS of the last row that starts at or before the address, if it contains it. */
function expected(rows: readonly Row[], value: number): { asn: number; asOrg: string } | undefined {
  let found: Row | undefined;
  for (const row of rows) if (row[0] <= value) found = row;
  if (!found || value > found[1]) return undefined;
  return { asn: found[2], asOrg: found[3] };
}

/** Lists the addresses at and next to each range's bounds, and the ends of the address space. */
function probesOf(rows: readonly Row[]): number[] {
  const probes = [0, 2 ** 32 - 1];
  for (const [start, end] of rows) probes.push(start - 1, start, end, end + 1);
  return probes.filter((value) => value >= 0 && value < 2 ** 32);
}

describe('Ipv4AsnTable', () => {
  it('matches a full parse of the shipped table', async () => {
    const require = createRequire(import.meta.url);
    const path = require.resolve('@ip-location-db/asn/asn-ipv4-num.csv');
    const rows = parseRows(readFileSync(path, 'utf8'));
    const table = await loadIpv4AsnTable(path);
    assert.ok(rows.length > 400_000);

    // Every 97th range's bounds and neighbours, and addresses spread over the whole space.
    const sample = rows.filter((_, index) => index % 97 === 0);
    const probes = probesOf(sample);
    for (let index = 0; index < 20_000; index++) probes.push(index * 214_748 + 13);
    let checked = 0;
    for (const value of probes) {
      let low = 0;
      let high = rows.length - 1;
      while (low <= high) {
        const middle = (low + high) >>> 1;
        if ((rows[middle] as Row)[0] <= value) low = middle + 1;
        else high = middle - 1;
      }
      const row = rows[high];
      const want = row && value <= row[1] ? { asn: row[2], asOrg: row[3] } : undefined;
      assert.deepEqual(table.lookup(value), want, `address ${value}`);
      checked++;
    }
    assert.ok(checked > 35_000);
    assert.deepEqual(table.lookup(134744072), { asn: 15169, asOrg: 'Google LLC' });
  });

  it('skips headers and broken lines', () => {
    const lines = ['start,end,asn,org', ''];
    for (let index = 0; index < 3000; index++) {
      const start = index * 1000 + 7;
      const name = index % 3 === 0 ? `"Net ${index}, ""Ltd"""` : `Net ${index}`;
      lines.push(`${start},${start + 499},${64_500 + index},${name}`);
      if (index % 17 === 0) lines.push('not,a,line');
      if (index % 29 === 0) lines.push('');
    }
    const text = `${lines.join('\r\n')}\r\n`;
    const rows = parseRows(text);
    const table = new Ipv4AsnTable(Buffer.from(text));
    for (const value of probesOf(rows)) {
      assert.deepEqual(table.lookup(value), expected(rows, value), `address ${value}`);
    }
    assert.deepEqual(table.lookup(7), { asn: 64_500, asOrg: 'Net 0, "Ltd"' });
    assert.equal(table.lookup(506 + 1), undefined);
  });

  it('sorts lines out of order', () => {
    const lines: string[] = [];
    for (let index = 0; index < 3000; index++) {
      const start = index * 1000 + 7;
      lines.push(`${start},${start + 499},${64_500 + index},Net ${index}`);
    }
    // Every seventh line moves to the top, as a hand-edited table might have it.
    const moved = [
      ...lines.filter((_, index) => index % 7 === 0),
      ...lines.filter((_, index) => index % 7 !== 0),
    ];
    const rows = parseRows(lines.join('\n'));
    const table = new Ipv4AsnTable(Buffer.from(moved.join('\n')));
    for (const value of probesOf(rows)) {
      assert.deepEqual(table.lookup(value), expected(rows, value), `address ${value}`);
    }
    const three =
      '16778240,16779263,3,Third\n16777216,16777471,1,First\n16777472,16777727,2,Second\n';
    assert.deepEqual(new Ipv4AsnTable(Buffer.from(three)).lookup(16777216), {
      asn: 1,
      asOrg: 'First',
    });
  });

  it('reads numbers padded with spaces', () => {
    const table = new Ipv4AsnTable(Buffer.from('16777472, 16777727 , 100, X\n'));
    assert.deepEqual(table.lookup(16777500), { asn: 100, asOrg: ' X' });
  });

  it('finds nothing in empty tables', () => {
    assert.equal(new Ipv4AsnTable(Buffer.alloc(0)).lookup(5), undefined);
    assert.equal(new Ipv4AsnTable(Buffer.from('start,end,asn,org\n')).lookup(5), undefined);
    const last = new Ipv4AsnTable(Buffer.from('10,20,1,A\n30,40,2,B'));
    assert.deepEqual(last.lookup(40), { asn: 2, asOrg: 'B' });
    assert.equal(last.lookup(25), undefined);
    assert.equal(last.lookup(9), undefined);
  });
});
