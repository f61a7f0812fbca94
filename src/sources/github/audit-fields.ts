import type { Event, EventCore, Origin } from '../../model/event.js';
import type { ParseContext } from '../format.js';
import { firstText, isObject, type JsonObject, truncate } from '../json-shape.js';
import { recordTime } from '../record-time.js';

/**
 * What the GitHub audit log sources share: the event built from one audit entry, whether it came
 * from the REST API, a JSON or CSV export, or a stream. Entries keep their own fields (`action`,
 * `actor`, `org`, `repo`, `created_at`, `programmatic_access_type` …). Two fields are added:
 *
 * - `app_slug`, the GitHub App the entry concerns or that acts. It is `integration` when present,
 *   else the login of a `<slug>[bot]` actor. For `integration_installation.*` entries without
 *   `integration`, it is the app's `name` turned into a slug as GitHub does (lower case, runs of
 *   other characters as one `-`);
 * - `permission_levels`, a `permissions` map (`{administration: write}`) as a list of
 *   `name:level` texts (`administration:write`), so that a rule can test it against a list.
 */

export const GITHUB_PRODUCT = 'github';

const BOT_SUFFIX = '[bot]';

export function slugify(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

function appSlug(fields: JsonObject): string | undefined {
  const integration = firstText(fields.integration);
  if (integration !== undefined) return integration.toLowerCase();
  const actor = firstText(fields.actor);
  if (actor?.endsWith(BOT_SUFFIX)) return actor.slice(0, -BOT_SUFFIX.length).toLowerCase();
  const action = firstText(fields.action) ?? '';
  const name = firstText(fields.name);
  if (action.startsWith('integration_installation') && name !== undefined) {
    const slug = slugify(name);
    return slug.length > 0 ? slug : undefined;
  }
  return undefined;
}

/** Keys of app entries that the web UI's CSV export may write under `data.`. */
const DATA_KEYS = ['integration', 'name', 'permissions', 'repository_selection'];

/**
 * Copies `data.<key>` to `<key>` where only the `data.` column is present, so that CSV exports
 * name the app and its permissions where the JSON exports do. The `data.` key stays too.
 */
function liftDataKeys(fields: JsonObject): void {
  for (const key of DATA_KEYS) {
    const value = fields[`data.${key}`];
    if (fields[key] === undefined && value !== undefined) fields[key] = value;
  }
}

function permissionLevels(permissions: unknown): string[] | undefined {
  if (!isObject(permissions)) return undefined;
  const levels = Object.entries(permissions)
    .filter(([, level]) => typeof level === 'string')
    .map(([name, level]) => `${name}:${String(level).toLowerCase()}`);
  return levels.length > 0 ? levels : undefined;
}

function githubCore(fields: JsonObject): EventCore {
  const core: EventCore = {};
  const actor = firstText(fields.actor);
  if (actor !== undefined) core.actor = actor;
  const app = firstText(fields.app_slug);
  if (app !== undefined) core.app = app;
  const address = firstText(fields.actor_ip);
  if (address !== undefined) core.srcIp = address;
  const target = firstText(fields.repo, fields.repository, fields.user, fields.team, fields.name);
  if (target !== undefined) core.target = target;
  const action = firstText(fields.action);
  if (action !== undefined) core.action = action;
  return core;
}

function githubSummary(fields: JsonObject, core: EventCore): string {
  const parts = [core.action ?? 'audit entry'];
  if (core.actor) parts.push(`by ${core.actor}`);
  const access = firstText(fields.programmatic_access_type);
  if (access) parts.push(`(${access})`);
  if (core.srcIp) parts.push(`from ${core.srcIp}`);
  if (core.target) parts.push(truncate(core.target, 120));
  const organization = firstText(fields.org);
  if (organization && organization !== core.target) parts.push(`in ${organization}`);
  return parts.join(' ');
}

/** Builds the event of one audit entry; `fields` becomes the event's fields. */
export function githubEvent(
  format: string,
  fields: JsonObject,
  origin: Origin,
  context: ParseContext,
): Event {
  liftDataKeys(fields);
  const slug = appSlug(fields);
  if (slug !== undefined && fields.app_slug === undefined) fields.app_slug = slug;
  const levels = permissionLevels(fields.permissions);
  if (levels !== undefined && fields.permission_levels === undefined) {
    fields.permission_levels = levels;
  }
  const { time, timeText } = recordTime(
    [
      fields['@timestamp'],
      fields.created_at,
      fields.timestamp,
      fields.at_sign_timestamp,
      fields.p_event_time,
    ],
    context,
    origin,
  );
  const core = githubCore(fields);
  return {
    time,
    timeText,
    format,
    logsource: { product: GITHUB_PRODUCT, service: 'audit' },
    fields,
    core,
    extra: {},
    origin,
    summary: githubSummary(fields, core),
  };
}
