import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readXmlEvents, type XmlEventRecord } from '../../src/input/xml-events.js';

/** Framing of `<Event>` elements in XML exports, fed in chunks of every size. */

async function frame(text: string, size: number): Promise<XmlEventRecord[]> {
  async function* chunks() {
    for (let at = 0; at < text.length; at += size) yield text.slice(at, at + size);
  }
  const out: XmlEventRecord[] = [];
  for await (const batch of readXmlEvents(chunks(), { maxRecordLength: 10_000 }))
    out.push(...batch);
  return out;
}

const event = (id: number, data: string) =>
  [
    '<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event">',
    `  <System><EventID>${id}</EventID></System>`,
    `  <EventData><Data Name="Text">${data}</Data></EventData>`,
    '</Event>',
  ].join('\n');

describe('XML event framing', () => {
  it('skips </Event> inside CDATA and comments', async () => {
    const events = [
      event(1, '<![CDATA[ends with </Event> and ]] inside]]>'),
      event(2, 'plain'),
      event(3, '<!-- a comment with </Event> --> text'),
    ];
    const text = `<Events>\n${events.join('\n')}\n</Events>\n`;
    for (const size of [1, 7, 64, text.length]) {
      const records = await frame(text, size);
      assert.deepEqual(
        records.map((record) => record.xml),
        events,
        `chunks of ${size}`,
      );
      assert.deepEqual(
        records.map((record) => record.line),
        [2, 6, 10],
      );
    }
  });

  it('rejects a cut element alone', async () => {
    const cut = event(2, 'plain').slice(0, 90);
    const text = `<Events>\n${[event(1, 'a'), cut, event(3, 'c')].join('\n')}\n</Events>\n`;
    const records = await frame(text, 32);

    assert.deepEqual(
      records.map((record) => record.error?.code ?? record.xml),
      [event(1, 'a'), 'invalid_xml', event(3, 'c')],
    );
    assert.deepEqual(
      records.map((record) => record.line),
      [2, 6, 8],
    );
  });

  it('closes an element whose comment is left open', async () => {
    const open = event(2, '<!-- cut comment');
    const text = `<Events>\n${[event(1, 'a'), open, event(3, 'c')].join('\n')}\n</Events>\n`;
    const records = await frame(text, 32);

    assert.deepEqual(
      records.map((record) => record.xml),
      [event(1, 'a'), open, event(3, 'c')],
    );
  });

  it('reports a CDATA section left open', async () => {
    const records = await frame(`${event(1, '<![CDATA[ never closed </Event>')}\n`, 16);

    assert.equal(records.length, 1);
    assert.equal(records[0]?.error?.code, 'invalid_xml');
  });
});
