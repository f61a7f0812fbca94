import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseContext } from '../src/context/load.js';
import { TrustEnricher } from '../src/enrich/trust.js';
import type { Event, EventCore } from '../src/model/event.js';

const CONTEXT = parseContext(
  'trustwatch.yaml',
  `
parties:
  - name: Acme
    kind: msp
    accounts: ['*@acmeitpartner.onmicrosoft.com']
    tenants: ['8d3c2e51-7a44-4b0e-9c6f-1f0a5d2b9e77']
  - name: Litware
    kind: partner
    tenants: ['5e7d9c1b-3a2f-4e6d-8c0b-7a9f1e3d5c2b']
`,
);

function event(core: EventCore): Event {
  return {
    time: 0,
    timeText: '',
    format: 'test',
    logsource: { product: 'm365', service: 'audit' },
    fields: {},
    core,
    extra: {},
    origin: { file: 'test.json', record: 1, line: 1 },
    summary: '',
  };
}

describe('trust target tenant', () => {
  const enricher = new TrustEnricher(CONTEXT);

  it('tags a customer admin record by the partner tenant', () => {
    const found = enricher.match(
      event({
        actor: 'admin@contoso.onmicrosoft.com',
        tenant: '3f1b8a52-6c0e-4d19-a7b4-2e9d5c8f0a13',
        targetTenant: '5E7D9C1B-3A2F-4E6D-8C0B-7A9F1E3D5C2B',
      }),
    );
    assert.equal(found?.party.name, 'Litware');
    assert.equal(found?.matchedBy, 'target_tenant');
  });

  it('prefers the acting account over the target tenant', () => {
    const found = enricher.match(
      event({
        actor: 'tech.anders@acmeitpartner.onmicrosoft.com',
        targetTenant: '5e7d9c1b-3a2f-4e6d-8c0b-7a9f1e3d5c2b',
      }),
    );
    assert.equal(found?.party.name, 'Acme');
    assert.equal(found?.matchedBy, 'account');
  });

  it('leaves records without party attributes untagged', () => {
    assert.equal(enricher.match(event({ actor: 'admin@contoso.onmicrosoft.com' })), undefined);
  });
});
