import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { BinXmlReader } from '../src/sources/evtx/binxml-reader.js';
import { EventTreeBuilder } from '../src/sources/evtx/event-tree.js';
import { Expander } from '../src/sources/evtx/expand.js';
import { XmlTextWriter } from '../src/sources/evtx/render-xml.js';
import {
  buildEvtx,
  ChunkBuilder,
  fileTimeTicks,
  type ValueSpec,
  value,
  type XmlNode,
} from './helpers/evtx-builder.js';
import { recordOffsets, writeTempFiles } from './helpers/evtx-files.js';
import { readInput } from './helpers/read-input.js';

/**
 * Synthetic records that use every Binary XML token and substitution value type, checked
 * against the text Windows writes for each in event XML.
 */

const EVENT_NS = 'http://schemas.microsoft.com/win/2004/08/events/event';

/** Data values after the System values: name, value, expected text. */
const DATA: [string, ValueSpec, string][] = [
  ['Int8', value.int8(-5), '-5'],
  ['UInt8', value.uint8(200), '200'],
  ['Int16', value.int16(-300), '-300'],
  ['UInt16', value.uint16(60000), '60000'],
  ['Int32', value.int32(-70000), '-70000'],
  ['UInt32', value.uint32(4000000000), '4000000000'],
  ['Int64', value.int64(-1099511627776n), '-1099511627776'],
  ['UInt64', value.uint64(18446744073709551615n), '18446744073709551615'],
  ['Real32', value.real32(0.1), '0.1'],
  ['Real64', value.real64(2.5e-8), '2.5e-8'],
  ['BoolTrue', value.bool(true), 'true'],
  ['BoolFalse', value.bool(false), 'false'],
  ['Binary', value.binary('00ff10'), '00FF10'],
  [
    'Guid',
    value.guid('{0197231E-9BE6-68F9-AE0D-000000000800}'),
    '{0197231e-9be6-68f9-ae0d-000000000800}',
  ],
  ['SizeT', value.sizeT(0x1000n), '0x1000'],
  ['FileTime', value.fileTime('2020-07-12T05:12:58.295Z', 9091n), '2020-07-12T05:12:58.2959091Z'],
  [
    'SystemTime',
    value.systemTime([2021, 4, 2, 13, 10, 14, 45, 826]),
    '2021-04-13T10:14:45.8260000Z',
  ],
  ['Sid', value.sid('S-1-5-21-1470532092-3758209836-500'), 'S-1-5-21-1470532092-3758209836-500'],
  ['HexInt32', value.hex32(0x3e7), '0x3e7'],
  ['HexInt64', value.hex64(0x8020000000000000n), '0x8020000000000000'],
  ['Ansi', value.ansi([0x63, 0x61, 0x66, 0xe9, 0x00]), 'café'],
  ['Strings', value.stringArray(['first', 'second']), 'first, second'],
  ['Numbers', value.uint16Array([1, 2, 3]), '1, 2, 3'],
  ['Sids', value.sidArray(['S-1-5-18', 'S-1-5-32-544']), 'S-1-5-18, S-1-5-32-544'],
  ['Null', value.null(), ''],
  ['Empty', value.string(''), ''],
  ['Spaces', value.string('chcp  '), 'chcp  '],
];

const SYSTEM_VALUES: ValueSpec[] = [
  value.string('Test-Provider'),
  value.guid('{54849625-5478-4994-A5BA-3E3B0328C30D}'),
  value.null(),
  value.uint16(4624),
  value.fileTime('2021-10-20T13:39:12.731Z', 9042n),
  value.uint64(2775247n),
  value.null(),
  value.uint32(708),
  value.uint32(8464),
  value.string('host.example.test'),
  value.sid('S-1-5-18'),
];

const sub = (index: number, type: number, optional = false): XmlNode => ({
  substitution: index,
  type,
  optional,
});

/** Builds the event template: System from the first values, then one Data per DATA entry. */
function eventTemplate(extraData: XmlNode[] = []): XmlNode[] {
  const system: XmlNode = {
    element: 'System',
    children: [
      {
        element: 'Provider',
        attributes: [
          ['Name', [sub(0, 0x01)]],
          ['Guid', [sub(1, 0x0f, true)]],
        ],
      },
      {
        element: 'EventID',
        attributes: [['Qualifiers', [sub(2, 0x06, true)]]],
        children: [sub(3, 0x06)],
      },
      { element: 'TimeCreated', attributes: [['SystemTime', [sub(4, 0x11, true)]]] },
      { element: 'EventRecordID', children: [sub(5, 0x0a)] },
      { element: 'Correlation', attributes: [['ActivityID', [sub(6, 0x0f, true)]]] },
      {
        element: 'Execution',
        attributes: [
          ['ProcessID', [sub(7, 0x08)]],
          ['ThreadID', [sub(8, 0x08)]],
        ],
      },
      { element: 'Channel', children: [{ text: 'Test/Operational' }] },
      { element: 'Computer', children: [sub(9, 0x01)] },
      { element: 'Security', attributes: [['UserID', [sub(10, 0x13, true)]]] },
    ],
  };
  const data: XmlNode[] = DATA.map(([name, spec], index) => ({
    element: 'Data',
    attributes: [['Name', [{ text: name }]]],
    children: [sub(SYSTEM_VALUES.length + index, spec.type)],
  }));
  return [
    {
      element: 'Event',
      attributes: [['xmlns', [{ text: EVENT_NS }]]],
      children: [system, { element: 'EventData', children: [...data, ...extraData] }],
    },
  ];
}

const TOKEN_DATA: XmlNode[] = [
  { element: 'Data', attributes: [['Name', [{ text: 'Cdata' }]]], children: [{ cdata: 'a<b' }] },
  {
    element: 'Data',
    attributes: [['Name', [{ text: 'CharRef' }]]],
    children: [{ text: 'A' }, { charRef: 0x42 }],
  },
  {
    element: 'Data',
    attributes: [['Name', [{ text: 'Entity' }]]],
    children: [{ text: 'x' }, { entity: 'amp' }, { text: 'y' }, { entity: 'nbsp' }],
  },
  {
    element: 'Data',
    attributes: [['Name', [{ text: 'Instruction' }]]],
    children: [{ text: 'before' }, { pi: 'target', data: 'data' }, { text: 'after' }],
  },
  { element: 'Data', children: [{ text: 'unnamed' }] },
];

function eventRecord(values: ValueSpec[] = SYSTEM_VALUES): XmlNode[] {
  return [
    {
      template: 'event',
      content: eventTemplate(TOKEN_DATA),
      values: [...values, ...DATA.map(([, spec]) => spec)],
    },
  ];
}

/** Builds a record whose UserData is a BinXml value that contains its own template instance. */
function userDataRecord(): XmlNode[] {
  const userData: XmlNode[] = [
    {
      template: 'user-data',
      content: [
        {
          element: 'EventXML',
          attributes: [['xmlns', [{ text: 'Event_NS' }]]],
          children: [
            { element: 'Param1', children: [sub(0, 0x01)] },
            { element: 'Param2', children: [sub(1, 0x01)] },
            { element: 'Param3', children: [sub(2, 0x01)] },
          ],
        },
      ],
      values: [value.string('admmig'), value.string(''), value.string('10.23.123.11')],
    },
  ];
  const template: XmlNode[] = [
    {
      element: 'Event',
      attributes: [['xmlns', [{ text: EVENT_NS }]]],
      children: [
        {
          element: 'System',
          children: [
            { element: 'EventID', children: [sub(0, 0x06)] },
            { element: 'TimeCreated', attributes: [['SystemTime', [sub(1, 0x11)]]] },
            { element: 'EventRecordID', children: [sub(2, 0x0a)] },
          ],
        },
        { element: 'UserData', children: [sub(3, 0x21)] },
      ],
    },
  ];
  return [
    {
      template: 'rdp',
      content: template,
      values: [
        value.uint16(1149),
        value.fileTime('2021-12-16T10:25:32.351Z'),
        value.uint64(6433n),
        value.binxml(userData),
      ],
    },
  ];
}

async function readChunks(t: TestContext, chunks: Buffer[]) {
  const folder = writeTempFiles(t, { 'synthetic.evtx': buildEvtx(chunks) });
  const result = await readInput(join(folder, 'synthetic.evtx'));
  assert.equal(result.format, 'evtx');
  assert.deepEqual(result.rejections, []);
  return result.events;
}

/** Returns the content of an event with a System section of `children` only. */
function systemOnly(children: XmlNode[]): XmlNode[] {
  return [{ element: 'Event', children: [{ element: 'System', children }] }];
}

function expectedFields(recordId: string, computer: string): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [name, , text] of DATA) fields[name] = text;
  Object.assign(fields, {
    Cdata: 'a<b',
    CharRef: 'AB',
    Entity: 'x&y&nbsp;',
    Instruction: 'beforeafter',
    Data: 'unnamed',
    Provider_Name: 'Test-Provider',
    Provider_Guid: '{54849625-5478-4994-a5ba-3e3b0328c30d}',
    EventID: '4624',
    TimeCreated: '2021-10-20T13:39:12.7319042Z',
    EventRecordID: recordId,
    ProcessID: '708',
    ThreadID: '8464',
    Channel: 'Test/Operational',
    Computer: computer,
    UserID: 'S-1-5-18',
  });
  return fields;
}

describe('evtx binary xml', () => {
  it('renders every value type', async (t) => {
    const chunk = new ChunkBuilder().addRecord(eventRecord()).finish();
    const [event] = await readChunks(t, [chunk]);
    assert.ok(event);
    for (const [name, expected] of Object.entries(expectedFields('2775247', 'host.example.test'))) {
      assert.equal(event.fields[name], expected, name);
    }
    assert.deepEqual(Object.keys(event.fields).sort(), Object.keys(expectedFields('', '')).sort());
    assert.equal(event.origin.record, 2775247);
    assert.equal(event.time, Date.parse('2021-10-20T13:39:12.731Z'));
  });

  it('reuses a template and names by offset', async (t) => {
    const second = [...SYSTEM_VALUES];
    second[5] = value.uint64(2775248n);
    second[9] = value.string('other.example.test');
    const chunk = new ChunkBuilder()
      .addRecord(eventRecord())
      .addRecord(eventRecord(second))
      .finish();
    const events = await readChunks(t, [chunk]);
    assert.equal(events.length, 2);
    assert.deepEqual(events[1]?.fields, expectedFields('2775248', 'other.example.test'));
  });

  it('reads start tags without dependency ids', async (t) => {
    const chunk = new ChunkBuilder({ dependencyIds: false }).addRecord(eventRecord()).finish();
    const [event] = await readChunks(t, [chunk]);
    assert.deepEqual(event?.fields, expectedFields('2775247', 'host.example.test'));
  });

  it('expands a nested BinXml value', async (t) => {
    const chunk = new ChunkBuilder().addRecord(userDataRecord()).finish();
    const [event] = await readChunks(t, [chunk]);
    assert.deepEqual(event?.fields, {
      Param1: 'admmig',
      Param2: '',
      Param3: '10.23.123.11',
      EventID: '1149',
      TimeCreated: '2021-12-16T10:25:32.3510000Z',
      EventRecordID: '6433',
    });
  });

  it('takes the written time without TimeCreated', async (t) => {
    const content: XmlNode[] = [
      {
        element: 'Event',
        children: [
          { element: 'System', children: [{ element: 'EventID', children: [{ text: '1' }] }] },
        ],
      },
    ];
    const written = fileTimeTicks('2022-03-04T05:06:07.890Z') + 1234n;
    const chunk = new ChunkBuilder().addRecord(content, written).finish();
    const [event] = await readChunks(t, [chunk]);
    assert.equal(event?.timeText, '2022-03-04T05:06:07.8901234Z');
    assert.equal(event?.time, Date.parse('2022-03-04T05:06:07.890Z'));
    assert.deepEqual(event?.fields, { EventID: '1' });
  });

  it('rejects a record without TimeCreated or written time', async (t) => {
    const content = systemOnly([{ element: 'EventID', children: [{ text: '1' }] }]);
    const chunk = new ChunkBuilder().addRecord(content, 0n).finish();
    const folder = writeTempFiles(t, { 'unset-time.evtx': buildEvtx([chunk]) });
    const result = await readInput(join(folder, 'unset-time.evtx'));

    assert.deepEqual(result.events, []);
    assert.deepEqual(
      result.rejections.map((rejection) => [rejection.code, rejection.origin.record]),
      [['invalid_time', 1]],
    );
  });

  it('numbers a record by position when its id is damaged', async (t) => {
    const builder = new ChunkBuilder({ firstRecordId: 40 });
    for (const eventId of ['1', '2', '3']) {
      const timeCreated = {
        element: 'TimeCreated',
        attributes: [['SystemTime', [{ text: '2024-05-06T07:08:09.0000000Z' }]]],
      } satisfies XmlNode;
      builder.addRecord(
        systemOnly([{ element: 'EventID', children: [{ text: eventId }] }, timeCreated]),
      );
    }
    const chunk = builder.finish();
    const second = recordOffsets(chunk)[1]?.offset ?? 0;
    chunk.writeBigUInt64LE(0xdead_beef_0000n, second + 8);

    const events = await readChunks(t, [chunk]);
    assert.deepEqual(
      events.map((event) => [event.fields.EventID, event.origin.record]),
      [
        ['1', 40],
        ['2', 41],
        ['3', 42],
      ],
    );
  });

  it('reads records written without templates', async (t) => {
    const content: XmlNode[] = [
      {
        element: 'Event',
        children: [
          {
            element: 'System',
            children: [
              { element: 'EventID', children: [{ text: '4720' }] },
              {
                element: 'TimeCreated',
                attributes: [['SystemTime', [{ text: '2020-07-12T05:12:58.2959091Z' }]]],
              },
            ],
          },
          {
            element: 'EventData',
            children: [{ element: 'Data', attributes: [['Name', [{ text: 'X' }]]] }],
          },
        ],
      },
    ];
    const chunk = new ChunkBuilder({ dependencyIds: false }).addRecord(content).finish();
    const [event] = await readChunks(t, [chunk]);
    assert.deepEqual(event?.fields, {
      X: '',
      EventID: '4720',
      TimeCreated: '2020-07-12T05:12:58.2959091Z',
    });
    assert.equal(event?.origin.record, 1);
  });

  it('writes the expanded record as XML', () => {
    const chunk = new ChunkBuilder().addRecord(userDataRecord()).finish();
    const reader = new BinXmlReader();
    reader.startChunk(chunk, chunk.length);
    const size = chunk.readUInt32LE(512 + 4);
    const writer = new XmlTextWriter();
    new Expander(reader).expandRecord(reader.parseRecord(512 + 24, 512 + size - 4), writer);
    assert.equal(
      writer.take(),
      `<Event xmlns="${EVENT_NS}"><System><EventID>1149</EventID>` +
        '<TimeCreated SystemTime="2021-12-16T10:25:32.3510000Z"/>' +
        '<EventRecordID>6433</EventRecordID></System><UserData><EventXML xmlns="Event_NS">' +
        '<Param1>admmig</Param1><Param2/><Param3>10.23.123.11</Param3></EventXML></UserData></Event>',
    );
  });

  it('builds own properties for any element name', () => {
    const tree = new EventTreeBuilder();
    tree.reset();
    for (const name of ['constructor', 'toString', 'constructor', '__proto__']) {
      tree.startElement(name);
      tree.text(name);
      tree.endElement();
    }
    assert.deepEqual(tree.root, {
      constructor: ['constructor', 'constructor'],
      toString: 'toString',
    });
    assert.equal(Object.getPrototypeOf(tree.root), Object.prototype);
  });

  it('escapes text and attributes in XML', () => {
    const writer = new XmlTextWriter();
    writer.startElement('Data');
    writer.attribute('Name', 'a"<&');
    writer.text('x < y & z > w');
    writer.cdata('raw <');
    writer.processingInstruction('target', 'data');
    writer.endElement();
    assert.equal(
      writer.take(),
      '<Data Name="a&quot;&lt;&amp;">x &lt; y &amp; z &gt; w<![CDATA[raw <]]><?target data?></Data>',
    );
  });
});
