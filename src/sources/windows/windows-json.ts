import { RecordError } from '../../model/errors.js';
import type { FramedRecord, ParseContext, SourceFormat } from '../format.js';
import { statelessParser } from '../format.js';
import { flattenWindows, windowsEvent, windowsEventSummary } from './fields.js';
import { readEventData, readSystem, readUserData } from './tree.js';

/**
 * Windows events as EVTX dumpers write JSON (`evtx_dump -o json`, `evtx_dump.py`-style):
 * `{"Event": {"System": …, "EventData": …}}` with attributes under `#attributes`, one object per
 * line or pretty-printed objects back to back.
 */

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function convert(record: FramedRecord, context: ParseContext) {
  const root = record.value;
  if (!isObject(root) || !isObject(root.Event) || !isObject(root.Event.System)) {
    throw new RecordError('unexpected_shape', 'record has no Event.System object');
  }
  const event = root.Event;
  const system = readSystem(event.System);
  const data = { ...readUserData(event.UserData), ...readEventData(event.EventData) };
  const fields = flattenWindows(system, data);
  return windowsEvent('windows-json', fields, [system.timeCreated], record.origin, context);
}

export const windowsJsonFormat: SourceFormat = {
  name: 'windows-json',
  description: 'Windows events as EVTX dumpers write JSON (Event.System, Event.EventData)',
  framing: 'json',
  detect(sample) {
    const value = sample.firstJson;
    return isObject(value) && isObject(value.Event) && isObject(value.Event.System) ? 1 : 0;
  },
  summarize: windowsEventSummary,
  createParser: (context) => statelessParser(convert, context),
};
