import type { EventCore } from '../../model/event.js';
import { appendValue, clientAddress, decodeJsonValues } from '../json-fields.js';
import { firstText, isObject, type JsonObject, pick, text, truncate } from '../json-shape.js';

/**
 * Entra ID directory audit records (`properties` of an AuditLogs record, or a Graph
 * `directoryAudit`). The nested lists are also made readable as flat fields, because rules
 * and chains need single values out of them:
 *
 * - `modifiedProperties.<displayName>.newValue` and `.oldValue`, with the JSON quoting Entra
 *   puts around each value removed (`"\"Global Administrator\""` reads `Global Administrator`);
 * - `additionalDetails.<key>`;
 * - `grantedPermissions`: the OAuth scopes and app roles that a consent, delegated permission
 *   grant or app role assignment adds;
 * - `TargetResources`, `InitiatedBy` and `AdditionalDetails` as JSON text, as Log Analytics
 *   columns hold them, for `contains` tests over the whole structure.
 */

function targets(properties: JsonObject): JsonObject[] {
  const list = properties.targetResources;
  return Array.isArray(list) ? list.filter(isObject) : [];
}

/** Adds the flat fields listed in the file comment. */
export function addAuditFields(fields: JsonObject, properties: JsonObject): void {
  for (const target of targets(properties)) {
    const modified = target.modifiedProperties;
    if (!Array.isArray(modified)) continue;
    for (const property of modified) {
      if (!isObject(property)) continue;
      const name = text(property.displayName);
      if (name === undefined) continue;
      for (const value of decodeJsonValues(property.newValue))
        appendValue(fields, `modifiedProperties.${name}.newValue`, value);
      for (const value of decodeJsonValues(property.oldValue))
        appendValue(fields, `modifiedProperties.${name}.oldValue`, value);
    }
  }

  const details = properties.additionalDetails;
  if (Array.isArray(details)) {
    for (const detail of details) {
      if (!isObject(detail)) continue;
      const key = text(detail.key);
      if (key !== undefined) appendValue(fields, `additionalDetails.${key}`, detail.value);
    }
  }

  const granted = grantedPermissions(fields);
  if (granted.length > 0) fields.grantedPermissions = granted;

  const jsonColumns: [string, unknown][] = [
    ['TargetResources', properties.targetResources],
    ['InitiatedBy', properties.initiatedBy],
    ['AdditionalDetails', properties.additionalDetails],
  ];
  for (const [name, value] of jsonColumns) {
    if (fields[name] === undefined && value !== undefined && value !== null) {
      fields[name] = JSON.stringify(value);
    }
  }
}

function strings(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value.flatMap(strings);
  return typeof value === 'object' ? [] : [String(value)];
}

function scopeTokens(value: string): string[] {
  return value.split(/\s+/).filter((token) => token.length > 0);
}

/**
 * Scopes in a `ConsentAction.Permissions` value, which lists grants as
 * `[old grants] => [[Id: …, ConsentType: AllPrincipals, Scope:  Mail.ReadWrite …, …]]`.
 */
function consentScopes(value: string): string[] {
  const scopes: string[] = [];
  for (const match of value.matchAll(/Scope:\s*([^,\]]*)/g)) {
    scopes.push(...scopeTokens(match[1] as string));
  }
  return scopes;
}

/** Scopes and app roles that are new after the change: the new value's, less the old value's. */
function grantedPermissions(fields: JsonObject): string[] {
  const granted = new Set<string>();
  const add = (newValues: string[], oldValues: string[]) => {
    const old = new Set(oldValues.map((value) => value.toLowerCase()));
    for (const value of newValues) if (!old.has(value.toLowerCase())) granted.add(value);
  };

  for (const value of strings(fields['modifiedProperties.ConsentAction.Permissions.newValue'])) {
    const arrow = value.indexOf('=>');
    const before = arrow >= 0 ? value.slice(0, arrow) : '';
    const after = arrow >= 0 ? value.slice(arrow + 2) : value;
    add(consentScopes(after), consentScopes(before));
  }
  const scopeNew = strings(fields['modifiedProperties.DelegatedPermissionGrant.Scope.newValue']);
  const scopeOld = strings(fields['modifiedProperties.DelegatedPermissionGrant.Scope.oldValue']);
  add(scopeNew.flatMap(scopeTokens), scopeOld.flatMap(scopeTokens));
  add(strings(fields['modifiedProperties.AppRole.Value.newValue']), []);
  return [...granted];
}

/** Finds the application a record is about: the one that acts, or the one it changes. */
function auditApp(fields: JsonObject, properties: JsonObject): string | undefined {
  const first = (name: string) => strings(fields[name])[0];
  return firstText(
    pick(properties, 'initiatedBy', 'app', 'appId'),
    first('additionalDetails.AppId'),
    first('modifiedProperties.ServicePrincipal.AppId.newValue'),
    first('modifiedProperties.AppPrincipalId.newValue'),
    first('modifiedProperties.AppId.newValue'),
    servicePrincipalNameAppId(first('modifiedProperties.TargetId.ServicePrincipalNames.newValue')),
  );
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Picks the application id out of service principal names (`appId;https://…;appId/host`). */
function servicePrincipalNameAppId(names: string | undefined): string | undefined {
  return names?.split(';').find((name) => GUID.test(name.trim()));
}

/** Finds the partner tenant that a delegated-administration or cross-tenant change names. */
function auditTargetTenant(fields: JsonObject, activity: string | undefined): string | undefined {
  const partner = strings(fields['modifiedProperties.PartnerTenantId.newValue'])[0];
  if (partner !== undefined) return text(partner);
  if (activity !== undefined && /partner|cross-tenant/i.test(activity)) {
    return firstText(
      ...strings(fields['modifiedProperties.tenantId.newValue']),
      ...strings(fields['modifiedProperties.TenantId.newValue']),
    );
  }
  return undefined;
}

export function auditCore(
  fields: JsonObject,
  properties: JsonObject,
  record: JsonObject,
): EventCore {
  const user = pick(properties, 'initiatedBy', 'user');
  const app = pick(properties, 'initiatedBy', 'app');
  const core: EventCore = {};

  const actor = isObject(user)
    ? firstText(user.userPrincipalName, user.id)
    : isObject(app)
      ? firstText(app.appId, app.servicePrincipalId, app.displayName)
      : undefined;
  if (actor !== undefined) core.actor = actor;

  const tenant = firstText(pick(user, 'homeTenantId'), record.tenantId);
  if (tenant !== undefined) core.tenant = tenant;
  const activity = firstText(properties.activityDisplayName, record.operationName);
  const targetTenant = auditTargetTenant(fields, activity);
  if (targetTenant !== undefined) core.targetTenant = targetTenant;

  const application = auditApp(fields, properties);
  if (application !== undefined) core.app = application;

  const address = clientAddress(firstText(pick(user, 'ipAddress'), record.callerIpAddress));
  if (address !== undefined && address !== '0.0.0.0') core.srcIp = address;

  const session = firstText(properties.correlationId, record.correlationId);
  if (session !== undefined) core.session = session;

  const target = targets(properties)
    .map((item) => firstText(item.userPrincipalName, item.displayName, item.id))
    .find((name) => name !== undefined);
  if (target !== undefined) core.target = target;

  if (activity !== undefined) core.action = activity;
  const result = text(properties.result)?.toLowerCase();
  if (result === 'success') core.outcome = 'success';
  else if (result === 'failure' || result === 'timeout') core.outcome = 'failure';
  return core;
}

export function auditSummary(fields: JsonObject, properties: JsonObject, core: EventCore): string {
  const parts = [core.action ?? 'directory audit'];
  if (core.actor) parts.push(`by ${core.actor}`);
  if (core.srcIp) parts.push(`from ${core.srcIp}`);
  const details = targets(properties)
    .map((item) => firstText(item.userPrincipalName, item.displayName))
    .filter((name): name is string => name !== undefined);
  const role = strings(fields['modifiedProperties.Role.DisplayName.newValue'])[0];
  if (role !== undefined) details.push(role);
  const granted = strings(fields.grantedPermissions);
  if (granted.length > 0) details.push(granted.join(' '));
  if (details.length > 0) parts.push(`on ${truncate([...new Set(details)].join(', '), 160)}`);
  if (core.outcome) parts.push(`(${core.outcome})`);
  return parts.join(' ');
}
