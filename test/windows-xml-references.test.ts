import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { decodeXmlReferences } from '../src/sources/windows/xml-references.js';
import { readOne } from './helpers/read.js';

/** Writes a 4688 event as wevtutil does, with the values given. */
function event(commandLine: string, user: string, nameAttribute = 'CommandLine'): string {
  return [
    "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>",
    "<Provider Name='Microsoft-Windows-Security-Auditing'/><EventID>4688</EventID>",
    "<TimeCreated SystemTime='2024-03-12T10:17:22.3140000Z'/><EventRecordID>4418203</EventRecordID>",
    '<Channel>Security</Channel><Computer>APP01.corp.contoso.com</Computer></System><EventData>',
    `<Data Name='SubjectUserName'>${user}</Data><Data Name='SubjectDomainName'>CONTOSO</Data>`,
    `<Data Name='${nameAttribute}'>${commandLine}</Data></EventData></Event>`,
  ].join('');
}

async function readEvents(xml: string) {
  const file = join(mkdtempSync(join(tmpdir(), 'trustwatch-xml-')), 'events.xml');
  writeFileSync(file, `<Events>${xml}</Events>`);
  const result = await readOne(file);
  assert.equal(result.format, 'windows-xml', result.reason);
  assert.deepEqual(result.rejections, []);
  return result.events;
}

describe('windows-xml character references', () => {
  it('decodes numeric references with the predefined entities', async () => {
    const [parsed] = await readEvents(
      event('PsExec64.exe &amp; &#x41;&#66; &lt;x&gt; \\\\FS01 &quot;a&apos;', 'm&#252;ller'),
    );
    assert.equal(parsed?.fields.CommandLine, 'PsExec64.exe & AB <x> \\\\FS01 "a\'');
    assert.equal(parsed?.fields.SubjectUserName, 'm\u00fcller');
    assert.equal(parsed?.core.actor, 'CONTOSO\\m\u00fcller');
  });

  it('decodes in one pass', async () => {
    const [parsed] = await readEvents(event('&amp;#65; &amp;amp; &amp;lt;', 'u'));
    assert.equal(parsed?.fields.CommandLine, '&#65; &amp; &lt;');
  });

  it('decodes references in attribute values', async () => {
    const [parsed] = await readEvents(event('cmd.exe', 'u', '&#x43;ommand&#76;ine'));
    assert.equal(parsed?.fields.CommandLine, 'cmd.exe');
  });

  it('keeps CDATA as written', async () => {
    const [parsed] = await readEvents(event('<![CDATA[&amp; &#65;]]>', 'u'));
    assert.equal(parsed?.fields.CommandLine, '&amp; &#65;');
  });
});

describe('decodeXmlReferences', () => {
  const cases: [string, string][] = [
    ['&#x1F600; &#128512;', '\u{1F600} \u{1F600}'],
    ['&#x9;&#10;&#13;', '\t\n\r'],
    ['&#0; &#x1; &#xD800; &#xFFFE; &#x110000;', '&#0; &#x1; &#xD800; &#xFFFE; &#x110000;'],
    ['&nbsp; &copy; &unknown;', '&nbsp; &copy; &unknown;'],
    ['&#x41 &#; &#x; &amp', '&#x41 &#; &#x; &amp'],
    ['no references', 'no references'],
  ];
  for (const [text, expected] of cases) {
    it(`decodes ${JSON.stringify(text)}`, () => {
      assert.equal(decodeXmlReferences(text), expected);
    });
  }
});
