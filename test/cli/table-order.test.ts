import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';

const CASE = 'examples/scenario-an1344-rdp-msp-chain';

interface OrderedAlert {
  id: string;
  first_time: string;
  suppressed: boolean;
  severity: { score: number };
}

function scan(output: string) {
  return runCli([
    'scan',
    '--context',
    `${CASE}/trustwatch.yaml`,
    '--db',
    ':memory:',
    '--no-progress',
    '--output',
    output,
    `${CASE}/logs`,
  ]);
}

describe('table output order', () => {
  it('lists alerts by severity score', () => {
    const json = scan('json');
    assert.equal(json.status, 0, json.stderr);
    const alerts = JSON.parse(json.stdout) as OrderedAlert[];
    assert.ok(alerts.length >= 3, json.stdout);
    const expected = [...alerts]
      .sort(
        (a, b) =>
          Number(a.suppressed) - Number(b.suppressed) ||
          b.severity.score - a.severity.score ||
          a.first_time.localeCompare(b.first_time),
      )
      .map((alert) => alert.id);

    const table = scan('table');
    assert.equal(table.status, 0, table.stderr);
    const listed = [...table.stdout.matchAll(/ {3}id ([0-9a-f]{32})$/gm)].map((match) => match[1]);
    assert.deepEqual(listed, expected);

    const scores = listed.map((id) => alerts.find((alert) => alert.id === id)?.severity.score ?? 0);
    for (let index = 1; index < scores.length; index++) {
      assert.ok((scores[index - 1] ?? 0) >= (scores[index] ?? 0), `scores ${scores.join(', ')}`);
    }
  });
});
