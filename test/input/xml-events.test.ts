import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readXmlEvents, type XmlEventRecord } from '../../src/input/xml-events.js';

/** Framing of `<Event>` elements in XML exports, fed in chunks of every size. */

async function frame(text: string, size: number, limit = 10_000): Promise<XmlEventRecord[]> {
  async function* chunks() {
    for (let at = 0; at < text.length; at += size) yield text.slice(at, at + size);
  }
  const out: XmlEventRecord[] = [];
  for await (const batch of readXmlEvents(chunks(), { maxRecordLength: limit })) out.push(...batch);
  return out;
}

/** Frames `text` in chunks of several sizes, checks that they agree, and returns the records. */
async function frameAtEverySize(text: string): Promise<XmlEventRecord[]> {
  const whole = await frame(text, text.length);
  for (const size of [1, 7, 64]) {
    assert.deepEqual(await frame(text, size), whole, `chunks of ${size}`);
  }
  return whole;
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

const NAMESPACE = 'http://schemas.microsoft.com/win/2004/08/events/event';
const START_TAG = `<Event xmlns="${NAMESPACE}">`;

/** A Security 4624 event on one line, as `Get-WinEvent ... ToXml()` writes it. */
const logon = (record: number, user: string) =>
  `${START_TAG}<System>` +
  '<Provider Name="Microsoft-Windows-Security-Auditing"/><EventID>4624</EventID>' +
  '<TimeCreated SystemTime="2024-01-01T00:00:00.000Z"/>' +
  `<EventRecordID>${record}</EventRecordID><Channel>Security</Channel>` +
  `<Computer>h1</Computer></System><EventData><Data Name="TargetUserName">${user}</Data>` +
  '</EventData></Event>';

const FIRST = logon(1, 'bob');
const SECOND = logon(2, 'alice');

/** An `<Events>` export containing `parts`, one to a line, after an XML declaration. */
const exportOf = (...parts: string[]) =>
  `<?xml version="1.0" encoding="utf-8"?>\n<Events>\n${parts.join('\n')}\n</Events>\n`;

/** An `<Events>` root containing `parts`, one to a line. */
const rootOf = (...parts: string[]) => `<Events>\n${parts.join('\n')}\n</Events>\n`;

const xmlOf = (records: XmlEventRecord[]) => records.map((record) => record.xml);

describe('XML comments between events', () => {
  it('skips an event commented out on one line', async () => {
    const records = await frameAtEverySize(
      exportOf(FIRST, `<!-- ${logon(9, 'ghost')} -->`, SECOND),
    );

    assert.deepEqual(xmlOf(records), [FIRST, SECOND]);
    assert.deepEqual(
      records.map((record) => record.record),
      [1, 2],
    );
    assert.deepEqual(
      records.map((record) => record.line),
      [3, 5],
    );
  });

  it('skips several events in a multi-line comment', async () => {
    const comment = ['<!-- removed while testing:', logon(8, 'x'), event(4688, 'y'), '-->'];
    const records = await frameAtEverySize(exportOf(FIRST, ...comment, SECOND));

    assert.deepEqual(xmlOf(records), [FIRST, SECOND]);
    assert.deepEqual(
      records.map((record) => record.line),
      [3, 11],
    );
  });

  it('skips a comment with only a start tag', async () => {
    const comments = [
      '<!-- <Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"> -->',
      '<!-- <Event -->',
      '<!--<Event>-->',
      '<!--\n<Event\n-->',
    ];
    for (const comment of comments) {
      const records = await frameAtEverySize(exportOf(FIRST, comment, SECOND));
      assert.deepEqual(xmlOf(records), [FIRST, SECOND], comment);
    }
  });

  it('closes comments with odd dashes', async () => {
    const ghost = logon(9, 'ghost');
    const comments = [
      `<!-- run with --force: ${ghost} -->`,
      `<!--- ${ghost} --->`,
      `<!---->${'\n'}<!-- -- ${ghost} -- -->`,
      `<!-- ${ghost.replace('<EventData>', '<!-- old data --><EventData>')} -->`,
      `<!--> ${ghost} -->`,
    ];
    for (const comment of comments) {
      const records = await frameAtEverySize(exportOf(FIRST, comment, SECOND));
      assert.deepEqual(xmlOf(records), [FIRST, SECOND], comment);
    }
  });

  it('skips a commented-out block with comments', async () => {
    const block = ['<!-- <!-- checked on 2024-01-02 -->', logon(9, 'ghost'), '<!-- x -->', '-->'];
    const records = await frameAtEverySize(exportOf(FIRST, ...block, SECOND));

    assert.deepEqual(xmlOf(records), [FIRST, SECOND]);
    assert.deepEqual(
      records.map((record) => record.line),
      [3, 8],
    );
  });

  it('reads the events after a comment left open', async () => {
    // `-- >` and `--!>` do not close an XML comment, so these comments run on to the input's end.
    for (const comment of ['<!-- checked -- >', '<!-- checked --!>', '<!-- cut']) {
      const third = logon(3, 'carol');
      const records = await frameAtEverySize(exportOf(FIRST, comment, SECOND, third));
      assert.deepEqual(xmlOf(records), [FIRST, SECOND, third], comment);
      assert.deepEqual(
        records.map((record) => record.line),
        [3, 5, 6],
      );
    }
  });

  it('ignores a comment left open at the end', async () => {
    const records = await frameAtEverySize(`<Events>\n${FIRST}\n${SECOND}\n<!-- trailing note`);

    assert.deepEqual(xmlOf(records), [FIRST, SECOND]);
  });

  it('skips processing instructions', async () => {
    const text = exportOf(
      '<?xml-stylesheet type="text/xsl" href="events.xsl"?>',
      FIRST,
      `<?exporter skipped ${logon(9, 'ghost')} ?>`,
      SECOND,
    );
    const records = await frameAtEverySize(text);

    assert.deepEqual(xmlOf(records), [FIRST, SECOND]);
  });

  it('keeps comments inside an event', async () => {
    const insides = [
      `<!-- ${logon(9, 'ghost')} -->`,
      `<!-- copied from\n${START_TAG}\n-->`,
      '<!-- <Event -->',
      '<!-- run with --force -->',
    ];
    for (const inside of insides) {
      const commented = FIRST.replace('<EventData>', `${inside}<EventData>`);
      const records = await frameAtEverySize(exportOf(commented, SECOND));
      assert.deepEqual(xmlOf(records), [commented, SECOND], inside);
    }
  });
});

describe('XML sections left open by a cut event', () => {
  /** The start of event 2 on three lines, cut after `tail`; the next event starts on line 9. */
  const cutAfter = (tail: string) =>
    [START_TAG, '  <System><EventID>4104</EventID></System>', `  <EventData>${tail}`].join('\n');
  const third = event(3, 'c');
  const fourth = event(4, 'd');

  async function frameCut(tail: string) {
    return frameAtEverySize(rootOf(event(1, 'a'), cutAfter(tail), third, fourth));
  }

  it('rejects an event cut inside CDATA alone', async () => {
    const records = await frameCut('<Data Name="ScriptBlockText"><![CDATA[partial text');

    assert.deepEqual(xmlOf(records), [event(1, 'a'), undefined, third, fourth]);
    assert.deepEqual(
      records.map((record) => record.line),
      [2, 6, 9, 13],
    );
    assert.equal(records[1]?.error?.code, 'invalid_xml');
    assert.equal(
      records[1]?.error?.message,
      'a CDATA section opened on line 8 is not closed before the next <Event> element on line 9, ' +
        'so this element is cut or damaged',
    );
    assert.equal(records[1]?.snippet, cutAfter('<Data Name="ScriptBlockText">').slice(0, 120));
  });

  it('rejects an event cut inside other markup alone', async () => {
    const cuts: [string, string][] = [
      ['<Data Name="Text"><!-- partial note', 'a comment opened on line 8'],
      ['<Data Name="Text"><?cut partial', 'a processing instruction opened on line 8'],
      ['<Data Name="Te', 'an <Event> element starts before this one ends'],
      ['<Data Name="Text">partial', 'an <Event> element starts before this one ends'],
      ['<Data Name="Text"></Da', 'an <Event> element starts before this one ends'],
    ];
    for (const [tail, reason] of cuts) {
      const records = await frameCut(tail);
      assert.deepEqual(xmlOf(records), [event(1, 'a'), undefined, third, fourth], tail);
      assert.equal(records[1]?.line, 6, tail);
      assert.equal(records[1]?.error?.code, 'invalid_xml', tail);
      assert.ok(
        records[1]?.error?.message.startsWith(reason),
        `${tail}: ${records[1]?.error?.message}`,
      );
    }
  });

  it('reads sections of the events after the cut', async () => {
    const withCdata = event(3, '<![CDATA[a > b]]>');
    const withComment = event(4, '<!-- note --> d');
    const appended = ['</Events>', '<?xml version="1.0"?>', '<!-- second export -->', '<Events>'];
    const cut = cutAfter('<Data><![CDATA[partial');
    const text = rootOf(event(1, 'a'), cut, withCdata, withComment, ...appended, event(5, 'e'));
    const records = await frameAtEverySize(text);

    assert.deepEqual(xmlOf(records), [
      event(1, 'a'),
      undefined,
      withCdata,
      withComment,
      event(5, 'e'),
    ]);
    assert.equal(records[1]?.error?.code, 'invalid_xml');
  });

  it('skips a comment that follows a cut event', async () => {
    const cut = `${SECOND.slice(0, -30)}<![CDATA[partial`;
    const third = logon(3, 'carol');
    const records = await frameAtEverySize(
      exportOf(FIRST, cut, `<!-- ${logon(9, 'ghost')} -->`, third),
    );

    assert.deepEqual(xmlOf(records), [FIRST, undefined, third]);
    assert.equal(records[1]?.error?.code, 'invalid_xml');
    assert.deepEqual(
      records.map((record) => record.line),
      [3, 4, 6],
    );
  });

  it('keeps event XML inside CDATA', async () => {
    const scripts = [
      `$xml = '${START_TAG}<System/></Event>'`,
      `$query = @"\n${START_TAG}\n</Event>\n"@`,
      '$text -replace \'</Event>\', "`n<Event>"',
      "if ($line -match '<Event ') { $count++ }",
      `${START_TAG}<System/></Event>\n${START_TAG}<System/></Event>`,
    ];
    for (const script of scripts) {
      const logged = event(2, `<![CDATA[${script}]]>`);
      const records = await frameAtEverySize(rootOf(event(1, 'a'), logged, third));
      assert.deepEqual(xmlOf(records), [event(1, 'a'), logged, third], script);
    }
  });

  it('decides a cut at the length limit', async () => {
    const after = Array.from({ length: 30 }, (_, index) => logon(index + 3, 'carol'));
    const text = exportOf(FIRST, `${SECOND.slice(0, -30)}<![CDATA[partial`, ...after);
    const cutStart = text.indexOf(SECOND.slice(0, -30));
    const limit = 2_000;
    const size = 100;
    let read = 0;
    async function* chunks() {
      for (; read < text.length; read += size) yield text.slice(read, read + size);
    }

    const records: XmlEventRecord[] = [];
    let readWhenRejected = -1;
    for await (const batch of readXmlEvents(chunks(), { maxRecordLength: limit })) {
      if (readWhenRejected < 0 && batch.some((record) => record.error)) readWhenRejected = read;
      records.push(...batch);
    }

    assert.deepEqual(xmlOf(records), [FIRST, undefined, ...after]);
    // The framer keeps up to twice the limit before it frames the kept text again.
    assert.ok(readWhenRejected > cutStart + limit, `rejected after ${readWhenRejected} characters`);
    assert.ok(readWhenRejected <= cutStart + 2 * (limit + size), `${readWhenRejected} characters`);
    assert.ok(readWhenRejected < text.length - 2 * size);
  });
});

describe('XML event cut at any character', () => {
  const script = [
    `${START_TAG}<System><EventID>4104</EventID>`,
    '<Execution ProcessID="7" ThreadID="a>b"/></System><EventData>',
    `<Data Name="ScriptBlockText"><![CDATA[$x = '${START_TAG}' # </Event>]]></Data>`,
    '<!-- logged twice --><Data Name="Path"><?target C:\\s.ps1?></Data></EventData></Event>',
  ].join('\n');
  const third = logon(3, 'carol');

  it('frames the events around the cut', async () => {
    for (let at = 1; at < script.length; at++) {
      const prefix = script.slice(0, at);
      const text = exportOf(FIRST, prefix, third);
      const records = await frame(text, text.length);
      assert.deepEqual(await frame(text, 7), records, `cut at ${at}, chunks of 7`);

      const between = records.slice(1, -1);
      assert.equal(records[0]?.xml, FIRST, `cut at ${at}`);
      assert.equal(records.at(-1)?.xml, third, `cut at ${at}`);
      // The line feed after the cut ends the start tag from `<Event` on. An `<Event` in the
      // CDATA text before the cut starts a second element, which is rejected too.
      const elements = (at >= 6 ? 1 : 0) + (prefix.indexOf('<Event', 1) >= 0 ? 1 : 0);
      assert.ok(between.length <= elements, `cut at ${at}: ${between.length} records`);
      assert.ok(between.length >= Math.min(elements, 1), `cut at ${at}: ${between.length} records`);
    }
  });
});
