import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { parseAlerts, runCli } from './helpers/cli.js';
import { REPO_ROOT } from './helpers/shared.js';

/** Renders the HTML report in Debian's Chromium and checks what it shows. */

const CHROMIUM = '/usr/bin/chromium';
const EXAMPLES = join(REPO_ROOT, 'examples');

describe('HTML report', () => {
  it('shows the alerts, their timelines and party activity without network access', async (t) => {
    if (!existsSync(CHROMIUM))
      return t.skip(`no browser at ${CHROMIUM} (apt-get install chromium)`);
    const report = join(mkdtempSync(join(tmpdir(), 'trustwatch-report-')), 'report.html');
    const result = runCli([
      'scan',
      '--context',
      join(EXAMPLES, 'trustwatch.yaml'),
      '--output',
      'ndjson',
      '--db',
      ':memory:',
      '--report',
      report,
      join(EXAMPLES, 'logs'),
      join(EXAMPLES, 'scenario-an1344-rdp-msp-chain/logs'),
    ]);
    assert.equal(result.status, 0, result.stderr);
    const alerts = parseAlerts(result.stdout) as {
      id: string;
      analytic: string | null;
      evidence: unknown[];
    }[];
    const chain = alerts.find((alert) => alert.analytic === 'AN1344');
    assert.ok(chain);

    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    try {
      const page = await browser.newPage();
      const requests: string[] = [];
      page.on('request', (request) => requests.push(request.url()));
      await page.goto(pathToFileURL(report).href);

      assert.equal(await page.title(), 'trustwatch scan report');
      assert.equal(await page.locator('details.alert').count(), alerts.length);
      const chainAlert = page.locator(`details.alert[data-alert-id="${chain.id}"]`);
      await chainAlert.locator('summary').click();
      assert.match(
        (await chainAlert.locator('summary').textContent()) ?? '',
        /AN1344 Third-party access elevated and used to move laterally on Windows/,
      );
      assert.equal(
        await chainAlert.locator('svg.timeline circle.evidence-dot').count(),
        chain.evidence.length,
      );
      assert.equal(
        await chainAlert.locator('table.evidence tbody tr').count(),
        chain.evidence.length,
      );
      assert.ok(await chainAlert.locator('svg.timeline').isVisible());

      const parties = await page
        .locator('#activity .party')
        .evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-party')));
      assert.deepEqual(parties, ['Acme IT Services', 'Offsec Managed IT', 'Shire Remote Support']);
      assert.ok(
        (await page
          .locator('#activity .party[data-party="Acme IT Services"] rect.activity-bar')
          .count()) > 0,
      );
      assert.ok(
        (await page
          .locator('#activity .party[data-party="Acme IT Services"] line.alert-marker')
          .count()) > 0,
      );
      assert.deepEqual(requests, [pathToFileURL(report).href]);
    } finally {
      await browser.close();
    }
  });
});
