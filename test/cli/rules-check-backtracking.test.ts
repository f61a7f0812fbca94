import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';

const RULE = `title: Slow command line patterns
id: 3e8b1f60-7c2d-4a9e-b5f1-6d0c2a4e8b13
logsource: {category: process_creation, product: windows}
detection:
  sel_nested:
    CommandLine|re: '(a{1,10}){1,10}b'
  sel_optional:
    CommandLine|re: '(a?){20}a{20}'
  sel_chain:
    - CommandLine|re: '.*\\\\cmd\\.exe.*/c.*'
    - CommandLine|re: '.*a.*a.*a.*a.*a.*x'
  sel_safe:
    CommandLine|re:
      - '\\w{1,8}'
      - '[a-z]{3,10}\\.exe'
      - '.*a.*b.*c'
  condition: 1 of sel_*
`;

describe('rules check backtracking', () => {
  it('names the file, line, column and part at fault', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trustwatch-backtracking-'));
    const file = join(dir, 'slow.yml');
    writeFileSync(file, RULE);

    const result = runCli(['rules', 'check', '--no-default-rules', file]);

    assert.equal(result.status, 0, result.stderr);
    const warnings = [
      ...result.stdout.matchAll(/^(.+):(\d+):(\d+): warning rule\.regex_backtracking: (.*)$/gm),
    ];
    assert.deepEqual(
      warnings.map((match) => [match[1], match[2], match[3]]),
      [
        [file, '6', '21'],
        [file, '8', '21'],
        [file, '11', '23'],
      ],
    );
    const parts = warnings.map((match) => /the (repetitions? "[^"]*")/.exec(match[4] ?? '')?.[1]);
    assert.deepEqual(parts, [
      'repetition "(a{1,10}){1,10}"',
      'repetitions "(a?){20}a{20}"',
      'repetitions ".*a.*a.*a.*a.*a.*"',
    ]);
    assert.match(result.stdout, /^3 warnings\.$/m);
  });
});
