import { RecordError } from '../../model/errors.js';
import type { Event } from '../../model/event.js';
import type { ParseContext } from '../format.js';
import { flattenWindows, windowsEvent } from '../windows/fields.js';
import { elementText, readEventData, readSystem, readUserData } from '../windows/tree.js';

/**
 * Turns the object tree of one record into an Event, with the readers the Windows XML source
 * uses, so both give the same fields. The origin's record number is the event's own
 * `EventRecordID`: files exported from a larger log renumber their record headers from 1, but
 * keep the id that the log gave the event. The header's number is the fallback, and so is the
 * record header's written time, when it is set, for an event without `TimeCreated`.
 */
export function eventFromTree(
  root: Record<string, unknown>,
  context: ParseContext,
  header: { recordId: number; writtenTime: () => string | undefined },
): Event {
  // A record with a second fragment can hold a second Event element: the first one counts.
  const event = Array.isArray(root.Event) ? root.Event[0] : root.Event;
  if (!isObject(event) || !event.System) {
    throw new RecordError('missing_system', '<Event> has no <System> section');
  }

  const system = readSystem(event.System);
  const data = { ...readUserData(event.UserData), ...readEventData(event.EventData) };
  const rendering = event.RenderingInfo;
  if (isObject(rendering) && rendering.Message !== undefined && !('Message' in data)) {
    data.Message = elementText(rendering.Message);
  }
  const fields = flattenWindows(system, data);

  const recordId = Number(system.eventRecordId);
  const record = Number.isSafeInteger(recordId) && recordId > 0 ? recordId : header.recordId;
  const time = system.timeCreated ?? header.writtenTime();
  const origin = { file: context.file, record, line: 0 };
  return windowsEvent('evtx', fields, [time], origin, context);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
