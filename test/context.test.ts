import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { renderContextReference } from '../src/cli/context-reference.js';
import { parseContext } from '../src/context/load.js';
import { TrustEnricher } from '../src/enrich/trust.js';
import { ConfigError } from '../src/model/errors.js';
import type { Event } from '../src/model/event.js';
import { REPO_ROOT } from './helpers/shared.js';

function problemsOf(text: string) {
  try {
    parseContext('trustwatch.yaml', text);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  assert.fail('expected a ConfigError');
}

function event(core: Event['core'], time = Date.UTC(2024, 2, 19, 9, 0)): Event {
  return {
    time,
    timeText: '',
    format: 'test',
    logsource: { product: 'windows' },
    fields: {},
    core,
    extra: {},
    origin: { file: 'x', record: 1, line: 1 },
    summary: '',
  };
}

describe('context validation', () => {
  it('reports every problem with its line, column and text', () => {
    const problems = problemsOf(`parties:
  - name: Acme
    kind: mspx
    networks: ["198.51.100.0/33"]
    colour: blue
    expected: { hours: "Mon-Fri 08:00-18:00 Mars/Olympus" }
settings:
  chains: { AN1344: { elevation: soon } }
`);
    assert.deepEqual(
      problems.map((problem) => [problem.location?.line, problem.code]),
      [
        [3, 'config.invalid_value'],
        [4, 'config.custom'],
        [5, 'config.unrecognized_keys'],
        [6, 'config.custom'],
        [8, 'config.invalid_format'],
      ],
    );
    assert.match(problems[1]?.message ?? '', /invalid network "198\.51\.100\.0\/33"/);
    assert.equal(problems[2]?.snippet, 'colour: blue');
    assert.match(problems[3]?.message ?? '', /unknown time zone "Mars\/Olympus"/);
  });

  it('reports YAML syntax errors with their position', () => {
    const problems = problemsOf('parties:\n  - name: Acme\n   kind: msp\n');
    assert.equal(problems[0]?.location?.line, 3);
    assert.match(problems[0]?.code ?? '', /^yaml\./);
  });

  it('rejects a party listed twice', () => {
    const problems = problemsOf(
      'parties:\n  - {name: Acme, kind: msp, accounts: [a*]}\n  - {name: ACME, kind: vendor, apps: [x]}\n',
    );
    assert.deepEqual(
      problems.map((problem) => problem.code),
      ['config.duplicate_party'],
    );
    assert.equal(problems[0]?.location?.line, 3);
  });

  it('fills defaults for what the file leaves out', () => {
    const context = parseContext('t.yaml', 'parties: []\n');
    assert.equal(context.settings.reorder_buffer, 20000);
    assert.equal(context.settings.limits.max_depth, 64);
    assert.deepEqual(context.settings.placeholders, {});
  });
});

describe('party matching', () => {
  const context = parseContext(
    't.yaml',
    `parties:
  - name: Acme
    kind: msp
    accounts: ["CONTOSO\\\\acme-*", "*@acme.example"]
    networks: ["198.51.100.0/26"]
    expected: { hosts: ["APP01*"], hours: "Mon-Fri 08:00-18:00 Europe/Berlin" }
  - name: Globex
    kind: vendor
    networks: ["203.0.113.0/26", "2001:db8:1::/48"]
    apps: ["app-123"]
    tenants: ["tenant-9"]
    cloud_accounts: ["444455556666"]
`,
  );
  const enricher = new TrustEnricher(context);

  it('matches account globs case-insensitively, with a literal backslash', () => {
    assert.equal(enricher.match(event({ actor: 'contoso\\ACME-jlee' }))?.party.name, 'Acme');
    assert.equal(enricher.match(event({ actor: 'jlee@acme.example' }))?.party.name, 'Acme');
    assert.equal(enricher.match(event({ actor: 'CONTOSOXacme-jlee' })), undefined);
  });

  it('lets the most specific attribute win and says which', () => {
    const found = enricher.match(event({ actor: 'CONTOSO\\acme-jlee', srcIp: '203.0.113.5' }));
    assert.equal(found?.party.name, 'Acme');
    assert.equal(found?.matchedBy, 'account');
    assert.equal(
      enricher.match(event({ app: 'APP-123', srcIp: '198.51.100.7' }))?.matchedBy,
      'app',
    );
    assert.equal(
      enricher.match(event({ tenant: 'tenant-9', srcIp: '198.51.100.7' }))?.matchedBy,
      'tenant',
    );
    assert.equal(
      enricher.match(event({ cloudAccount: '444455556666' }))?.matchedBy,
      'cloud_account',
    );
    assert.equal(enricher.match(event({ srcIp: '::ffff:198.51.100.7' }))?.party.name, 'Acme');
    assert.equal(enricher.match(event({ srcIp: '2001:db8:1::42' }))?.party.name, 'Globex');
  });

  it('names the entry, field and value that matched', () => {
    const cases: [Parameters<typeof event>[0], string, string, string, string][] = [
      [{ actor: 'jlee@ACME.example' }, 'account', '*@acme.example', 'actor', 'jlee@ACME.example'],
      [
        { actor: 'CONTOSO\\it-admin', identities: ['CONTOSO\\acme-svc'] },
        'account',
        'CONTOSO\\acme-*',
        'identity',
        'CONTOSO\\acme-svc',
      ],
      [{ app: 'APP-123' }, 'app', 'app-123', 'app', 'APP-123'],
      [{ tenant: 'TENANT-9' }, 'tenant', 'tenant-9', 'tenant', 'TENANT-9'],
      [
        { cloudAccount: '444455556666' },
        'cloud_account',
        '444455556666',
        'cloud_account',
        '444455556666',
      ],
      [
        { srcIp: '::ffff:198.51.100.7' },
        'network',
        '198.51.100.0/26',
        'src_ip',
        '::ffff:198.51.100.7',
      ],
      [{ srcIp: '2001:db8:1::42' }, 'network', '2001:db8:1::/48', 'src_ip', '2001:db8:1::42'],
      [{ srcIp: '203.0.113.9' }, 'network', '203.0.113.0/26', 'src_ip', '203.0.113.9'],
    ];
    for (const [core, matchedBy, entry, field, value] of cases) {
      const found = enricher.match(event(core));
      assert.equal(found?.matchedBy, matchedBy, JSON.stringify(core));
      assert.equal(found?.entry, entry, JSON.stringify(core));
      assert.equal(found?.field, field, JSON.stringify(core));
      assert.equal(found?.value, value, JSON.stringify(core));
    }
  });

  it('names the entry from the cache as on the first match', () => {
    const first = enricher.match(event({ srcIp: '203.0.113.10' }));
    const again = enricher.match(event({ srcIp: '203.0.113.10' }));
    assert.equal(first?.entry, '203.0.113.0/26');
    assert.equal(again?.entry, '203.0.113.0/26');
  });

  it('matches explicit-credential identities after the actor', () => {
    const found = enricher.match(
      event({ actor: 'CONTOSO\\it-admin', identities: ['CONTOSO\\acme-svc'] }),
    );
    assert.equal(found?.party.name, 'Acme');
  });

  it('sets trust fields and the scope with its reasons', () => {
    const inScope = event(
      { actor: 'CONTOSO\\acme-jlee', host: 'APP01.corp.example' },
      Date.UTC(2024, 2, 19, 9, 0),
    );
    enricher.enrich(inScope);
    assert.deepEqual(inScope.extra, {
      'trust.party': 'Acme',
      'trust.kind': 'msp',
      'trust.matched_by': 'account',
      'trust.matched_entry': 'CONTOSO\\acme-*',
      'trust.matched_field': 'actor',
      'trust.matched_value': 'CONTOSO\\acme-jlee',
      'trust.in_scope': true,
    });

    const outOfScope = event(
      { actor: 'CONTOSO\\acme-jlee', host: 'FS01.corp.example' },
      Date.UTC(2024, 2, 19, 2, 13),
    );
    enricher.enrich(outOfScope);
    assert.equal(outOfScope.extra['trust.in_scope'], false);
    assert.equal(
      outOfScope.extra['trust.scope_reason'],
      'host FS01.corp.example is outside the expected hosts; Tue 03:13 Europe/Berlin is outside the expected hours Mon-Fri 08:00-18:00 Europe/Berlin',
    );
  });

  it('judges external sources by the party networks', () => {
    const workday = Date.UTC(2024, 2, 19, 9, 0);
    const outside = event({ actor: 'CONTOSO\\acme-jlee', srcIp: '192.0.2.77' }, workday);
    enricher.enrich(outside);
    assert.equal(outside.extra['trust.in_scope'], false);
    assert.equal(
      outside.extra['trust.scope_reason'],
      "source 192.0.2.77 is outside the party's networks",
    );

    const internal = event({ actor: 'CONTOSO\\acme-jlee', srcIp: '10.20.1.16' }, workday);
    enricher.enrich(internal);
    assert.equal(internal.extra['trust.scope_reason'], undefined);

    const own = event({ actor: 'CONTOSO\\acme-jlee', srcIp: '198.51.100.7' }, workday);
    enricher.enrich(own);
    assert.equal(own.extra['trust.scope_reason'], undefined);
  });

  it('leaves events of no party untouched', () => {
    const internal = event({ actor: 'CONTOSO\\adm-mkrause', srcIp: '10.10.4.21' });
    enricher.enrich(internal);
    assert.deepEqual(internal.extra, {});
  });
});

describe('context reference', () => {
  it('matches docs/context.md (regenerate with npm run docs:context)', () => {
    assert.equal(
      readFileSync(join(REPO_ROOT, 'docs/context.md'), 'utf8'),
      renderContextReference(),
    );
  });
});
