import { ACTIVITY_LIST_KIND } from '../../input/json-records.js';
import { RecordError } from '../../model/errors.js';
import type { Event, EventCore } from '../../model/event.js';
import type { FramedRecord, ParseContext, RecordParser, SourceFormat } from '../format.js';
import { rejectionFrom } from '../format.js';
import { firstText, isObject, type JsonObject, pick, truncate } from '../json-shape.js';
import { recordTime } from '../record-time.js';
import { parameterMap } from './parameters.js';

/**
 * Google Workspace activities of the Admin SDK Reports API (`admin#reports#activity`), in the
 * three shapes they are exported in:
 *
 * - the API's own: `events` is a list of `{type, name, parameters: [{name, value…}]}`, and a
 *   response wraps the activities in `{"items": […]}`, newest first;
 * - Elastic's, which splits `events` into one line per event (`events` is one object);
 * - Panther's, flattened: `name`, `type` and a `parameters` map at the top level.
 *
 * An activity with several events gives one trustwatch event per event, and each of them cites
 * the activity's record (its element of `items`, or its line), which is how the scenario
 * numbering counts records. Every event is flattened to Panther's shape: the activity's fields,
 * then `type`, `name` and `parameters` as a map by name, with the original event kept as the
 * one element of `events`. `eventService` (`admin.googleapis.com`, `login.googleapis.com`) is
 * added for the applications whose Sigma rules test it.
 */

export const GOOGLE_WORKSPACE_PRODUCT = 'gcp';

/**
 * Tells whether a JSON object is an `activities.list` page with no activities. The API leaves
 * `items` out of such a page, which then has only `kind`, `etag` and perhaps `nextPageToken`.
 */
export function isEmptyActivityPage(page: JsonObject): boolean {
  return page.kind === ACTIVITY_LIST_KIND && page.items === undefined;
}

/** Reports application names whose Cloud Logging service name the public Sigma rules test. */
const EVENT_SERVICES: Record<string, string> = {
  admin: 'admin.googleapis.com',
  login: 'login.googleapis.com',
};

function eventsOf(activity: JsonObject): JsonObject[] {
  const events = activity.events;
  if (Array.isArray(events) && events.some(isObject)) return events.filter(isObject);
  if (isObject(events)) return [events];
  // Panther's flattened shape, or an activity without events: the activity is its one event.
  return [{ type: activity.type, name: activity.name, parameters: activity.parameters }];
}

function flatten(activity: JsonObject, event: JsonObject): JsonObject {
  const fields: JsonObject = {};
  for (const [key, value] of Object.entries(activity)) {
    if (key !== 'events' && key !== 'name' && key !== 'type' && key !== 'parameters') {
      fields[key] = value;
    }
  }
  if (event.type !== undefined) fields.type = event.type;
  if (event.name !== undefined) fields.name = event.name;
  fields.parameters = parameterMap(event.parameters);
  if (activity.events !== undefined) fields.events = [event];
  const application = pick(activity, 'id', 'applicationName');
  const service = typeof application === 'string' ? EVENT_SERVICES[application] : undefined;
  if (service !== undefined) fields.eventService = service;
  return fields;
}

function workspaceCore(fields: JsonObject): EventCore {
  const core: EventCore = {};
  const parameters = fields.parameters as JsonObject;
  const actor = firstText(pick(fields, 'actor', 'email'), pick(fields, 'actor', 'profileId'));
  if (actor !== undefined) core.actor = actor;
  const app = firstText(
    pick(fields, 'actor', 'applicationInfo', 'oauthClientId'),
    parameters.client_id,
    parameters.API_CLIENT_NAME,
  );
  if (app !== undefined) core.app = app;
  const address = firstText(fields.ipAddress);
  if (address !== undefined) core.srcIp = address;
  const target = firstText(
    parameters.doc_title,
    parameters.doc_id,
    parameters.USER_EMAIL,
    parameters.app_name,
    parameters.affected_email_address,
  );
  if (target !== undefined) core.target = target;
  const action = firstText(fields.name);
  if (action !== undefined) core.action = action;
  if (action === 'login_failure') core.outcome = 'failure';
  else if (action === 'login_success') core.outcome = 'success';
  return core;
}

function workspaceSummary(fields: JsonObject, core: EventCore): string {
  const application = firstText(pick(fields, 'id', 'applicationName')) ?? 'workspace';
  const parts = [`${application} ${core.action ?? firstText(fields.type) ?? 'activity'}`];
  if (core.actor) parts.push(`by ${core.actor}`);
  const appName = firstText(
    pick(fields, 'actor', 'applicationInfo', 'applicationName'),
    (fields.parameters as JsonObject).app_name,
  );
  if (appName) parts.push(`app ${appName}`);
  if (core.srcIp) parts.push(`from ${core.srcIp}`);
  const scopes = (fields.parameters as JsonObject).scope;
  if (Array.isArray(scopes)) parts.push(`scopes ${truncate(scopes.join(' '), 200)}`);
  else if (core.target && core.target !== appName) parts.push(truncate(core.target, 120));
  return parts.join(' ');
}

function convert(activity: JsonObject, record: FramedRecord, context: ParseContext): Event[] {
  const { time, timeText } = recordTime(
    [pick(activity, 'id', 'time'), activity.p_event_time],
    context,
    record.origin,
  );
  const application = firstText(pick(activity, 'id', 'applicationName'));
  const service = application ? `google_workspace.${application}` : 'google_workspace';
  return eventsOf(activity).map((event) => {
    const fields = flatten(activity, event);
    const core = workspaceCore(fields);
    return {
      time,
      timeText,
      format: 'google-workspace',
      logsource: { product: GOOGLE_WORKSPACE_PRODUCT, service },
      fields,
      core,
      extra: {},
      origin: record.origin,
      summary: workspaceSummary(fields, core),
    };
  });
}

function createParser(context: ParseContext): RecordParser {
  return {
    push(record, out) {
      try {
        if (!isObject(record.value) || !isActivity(record.value)) {
          throw new RecordError('unexpected_shape', 'record is not a Reports API activity');
        }
        out.events.push(...convert(record.value, record, context));
      } catch (error) {
        out.rejections.push(rejectionFrom(error, record.origin));
      }
    },
    end() {},
  };
}

/** Tells activities, which name their application under `id`, and Panther's partial test records from other JSON. */
function isActivity(value: JsonObject): boolean {
  return (
    isObject(value.id) ||
    value.kind === 'admin#reports#activity' ||
    value.p_log_type === 'GSuite.ActivityEvent'
  );
}

export const googleWorkspaceFormat: SourceFormat = {
  name: 'google-workspace',
  description:
    'Google Workspace Admin SDK Reports activities (admin, login, token, drive, …): API, Elastic or Panther shape',
  framing: 'json',
  detect(sample) {
    const value = sample.firstJson;
    if (!isObject(value)) return 0;
    if (value.kind === 'admin#reports#activity' || value.p_log_type === 'GSuite.ActivityEvent') {
      return 1;
    }
    const application = pick(value, 'id', 'applicationName');
    if (typeof application !== 'string') return 0;
    const activityKeys = ['actor', 'events', 'name', 'type', 'ipAddress'];
    return activityKeys.some((key) => value[key] !== undefined) ? 0.9 : 0;
  },
  createParser,
};
