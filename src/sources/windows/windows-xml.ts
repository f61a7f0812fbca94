import { XMLParser } from 'fast-xml-parser';
import { RecordError } from '../../model/errors.js';
import type { DetectSample, FramedRecord, ParseContext, SourceFormat } from '../format.js';
import { statelessParser } from '../format.js';
import { flattenWindows, windowsEvent, windowsEventSummary } from './fields.js';
import { elementText, readEventData, readSystem, readUserData } from './tree.js';
import { xmlReferenceDecoder } from './xml-references.js';

/**
 * Windows event XML as `wevtutil qe /f:xml`, `Get-WinEvent … ToXml()` and Event Viewer's
 * "Save as XML" write it: an `<Events>` root or bare `<Event>` elements, with or without
 * `RenderingInfo`. Record numbers count `<Event>` elements in document order.
 */

const EVENT_NAMESPACE = 'schemas.microsoft.com/win/2004/08/events/event';

/** An `<Events>` root at the start, after an optional XML declaration and comments. */
const EMPTY_EXPORT = /^\uFEFF?\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--[\s\S]*?-->\s*)*<Events\s*\/?>/;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  isArray: (name) => name === 'Data',
  removeNSPrefix: true,
  ignoreDeclaration: true,
  processEntities: true,
  entityDecoder: xmlReferenceDecoder,
});

function convert(record: FramedRecord, context: ParseContext) {
  const xml = record.value as string;
  let tree: Record<string, unknown>;
  try {
    tree = parser.parse(xml, true) as Record<string, unknown>;
  } catch (error) {
    const failure = new RecordError(
      'invalid_xml',
      `invalid event XML: ${(error as Error).message}`,
    );
    throw Object.assign(failure, { snippet: xml.slice(0, 120) });
  }
  const event = tree.Event as Record<string, unknown> | undefined;
  if (!event || typeof event !== 'object' || !event.System) {
    throw new RecordError('missing_system', '<Event> has no <System> section');
  }

  const system = readSystem(event.System);
  const data = { ...readUserData(event.UserData), ...readEventData(event.EventData) };
  const rendering = event.RenderingInfo as Record<string, unknown> | undefined;
  if (rendering && typeof rendering === 'object' && rendering.Message !== undefined) {
    if (!('Message' in data)) data.Message = elementText(rendering.Message);
  }
  const fields = flattenWindows(system, data);
  return windowsEvent('windows-xml', fields, [system.timeCreated], record.origin, context);
}

export const windowsXmlFormat: SourceFormat = {
  name: 'windows-xml',
  description: 'Windows event XML (wevtutil /f:xml, Get-WinEvent ToXml(), Event Viewer export)',
  framing: 'xml-events',
  detect(sample: DetectSample): number {
    if (sample.firstXml === undefined) {
      // An export with no events is still this format: `<Events></Events>`. Text that only
      // mentions the element, such as a README, is not.
      return sample.text !== undefined && EMPTY_EXPORT.test(sample.text) ? 0.6 : 0;
    }
    if (sample.firstXml.includes(EVENT_NAMESPACE)) return 1;
    return sample.firstXml.includes('<System>') ? 0.8 : 0;
  },
  summarize: windowsEventSummary,
  createParser: (context) => statelessParser(convert, context),
};
