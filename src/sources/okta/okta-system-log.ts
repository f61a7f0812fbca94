import { RecordError } from '../../model/errors.js';
import type { EventCore } from '../../model/event.js';
import type { FramedRecord, SourceFormat } from '../format.js';
import { statelessParser } from '../format.js';
import { canonicalKeys, clientAddress, keySpellings } from '../json-fields.js';
import { firstText, isObject, type JsonObject, pick, text, truncate } from '../json-shape.js';
import { RecordTimes } from '../record-time.js';

/**
 * Okta System Log events as the System Log API (`/api/v1/logs`) returns them: a JSON array per
 * page, or one event per line. The actor is named by its login (`actor.alternateId`); the
 * Okta session (`authenticationContext.externalSessionId`) ties the events of one sign-in
 * together. Top-level keys written in lower case (`eventtype`) take the API's spelling.
 */

export const OKTA_PRODUCT = 'okta';

const OKTA_KEYS = keySpellings([
  'uuid',
  'published',
  'eventType',
  'version',
  'severity',
  'legacyEventType',
  'displayMessage',
  'actor',
  'client',
  'device',
  'authenticationContext',
  'securityContext',
  'debugContext',
  'outcome',
  'target',
  'transaction',
  'request',
]);

/** Actor types that are applications rather than people. */
const APP_ACTORS = new Set(['publicclientapp', 'client', 'appinstance', 'oauth2client']);

function targets(event: JsonObject): JsonObject[] {
  return Array.isArray(event.target) ? event.target.filter(isObject) : [];
}

function targetOfType(event: JsonObject, ...types: string[]): JsonObject | undefined {
  const expected = types.map((type) => type.toLowerCase());
  return targets(event).find((item) => expected.includes(String(item.type ?? '').toLowerCase()));
}

function oktaCore(event: JsonObject): EventCore {
  const core: EventCore = {};
  const actorType = String(pick(event, 'actor', 'type') ?? '').toLowerCase();
  const actor = firstText(pick(event, 'actor', 'alternateId'), pick(event, 'actor', 'id'));
  if (actor !== undefined && actor.toLowerCase() !== 'unknown') core.actor = actor;

  // An inbound federation (auth_via_IDP) names the identity provider it came through.
  const provider = firstText(
    pick(event, 'authenticationContext', 'issuer', 'id'),
    targetOfType(event, 'IdentityProvider', 'IdP')?.id,
  );
  const eventType = text(event.eventType);
  if (provider !== undefined && eventType?.toLowerCase().includes('idp')) core.tenant = provider;

  const app = APP_ACTORS.has(actorType)
    ? text(pick(event, 'actor', 'id'))
    : text(targetOfType(event, 'AppInstance')?.id);
  if (app !== undefined) core.app = app;

  const chain = pick(event, 'request', 'ipChain');
  const firstHop = Array.isArray(chain) ? pick(chain[0], 'ip') : undefined;
  const address = clientAddress(firstText(pick(event, 'client', 'ipAddress'), firstHop));
  if (address !== undefined) core.srcIp = address;

  const session = firstText(
    pick(event, 'authenticationContext', 'externalSessionId'),
    pick(event, 'transaction', 'id'),
  );
  if (session !== undefined && session.toLowerCase() !== 'unknown') core.session = session;

  const target = targets(event)
    .map((item) => firstText(item.alternateId, item.displayName, item.id))
    .find((name) => name !== undefined);
  if (target !== undefined) core.target = target;
  if (eventType !== undefined) core.action = eventType;

  const result = text(pick(event, 'outcome', 'result'))?.toUpperCase();
  if (result === 'SUCCESS' || result === 'ALLOW') core.outcome = 'success';
  else if (result === 'FAILURE' || result === 'DENY') core.outcome = 'failure';
  return core;
}

function oktaSummary(event: JsonObject, core: EventCore): string {
  const parts = [core.action ?? 'Okta event'];
  if (core.actor) parts.push(`by ${core.actor}`);
  if (core.srcIp) parts.push(`from ${core.srcIp}`);
  const names = targets(event)
    .map((item) => firstText(item.alternateId, item.displayName))
    .filter((name): name is string => name !== undefined);
  if (names.length > 0) parts.push(`on ${truncate(names.join(', '), 120)}`);
  const result = text(pick(event, 'outcome', 'result'));
  if (result !== undefined) parts.push(`(${result})`);
  return parts.join(' ');
}

/** Reads one event; an object without eventType (a partial record) is still an Okta event. */
function convert(record: FramedRecord, times: RecordTimes) {
  if (!isObject(record.value)) {
    throw new RecordError('unexpected_shape', 'record is not a JSON object');
  }
  const event = canonicalKeys(record.value, OKTA_KEYS);
  const { time, text: timeText } = times.read([event.published], record.origin);
  const core = oktaCore(event);
  return {
    time,
    timeText,
    format: 'okta-system-log',
    logsource: { product: OKTA_PRODUCT, service: OKTA_PRODUCT },
    fields: { ...event },
    core,
    extra: {},
    origin: record.origin,
    summary: oktaSummary(event, core),
  };
}

export const oktaSystemLogFormat: SourceFormat = {
  name: 'okta-system-log',
  description:
    'Okta System Log events as the System Log API returns them (eventType, actor, published)',
  framing: 'json',
  detect(sample) {
    if (!isObject(sample.firstJson)) return 0;
    const event = canonicalKeys(sample.firstJson, OKTA_KEYS);
    if (typeof event.eventType !== 'string') return 0;
    const oktaShaped =
      isObject(event.actor) ||
      event.legacyEventType !== undefined ||
      event.displayMessage !== undefined;
    return oktaShaped && (event.published !== undefined || event.uuid !== undefined) ? 1 : 0;
  },
  createParser: (context) => {
    const times = new RecordTimes(context);
    return statelessParser((record) => convert(record, times), context);
  },
};
