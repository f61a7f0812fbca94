import type { EventCore } from '../../model/event.js';
import { clientAddress } from '../json-fields.js';
import { firstText, type JsonObject, pick, text, truncate } from '../json-shape.js';

/**
 * Entra ID sign-in records (`properties` of a SignInLogs record, or a Graph `signIn`), user,
 * service principal and managed identity sign-ins alike. Cross-tenant sign-ins carry the
 * user's `homeTenantId` beside the `resourceTenantId` signed in to, and `crossTenantAccessType`
 * (`serviceProvider` for GDAP/DAP partner admins, `b2bCollaboration` for guests).
 */

const SERVICE_PRINCIPAL_CATEGORIES = new Set([
  'serviceprincipalsigninlogs',
  'managedidentitysigninlogs',
]);

export function isServicePrincipalSignIn(category: string | undefined, properties: JsonObject) {
  if (category !== undefined && SERVICE_PRINCIPAL_CATEGORIES.has(category.toLowerCase()))
    return true;
  return (
    text(properties.userPrincipalName) === undefined &&
    text(properties.servicePrincipalId) !== undefined
  );
}

export function signInCore(
  properties: JsonObject,
  record: JsonObject,
  category: string | undefined,
): EventCore {
  const core: EventCore = {};
  const servicePrincipal = isServicePrincipalSignIn(category, properties);

  const actor = servicePrincipal
    ? firstText(properties.appId, properties.servicePrincipalId, properties.servicePrincipalName)
    : firstText(properties.userPrincipalName, properties.userId, record.identity);
  if (actor !== undefined) core.actor = actor;

  const tenant = firstText(
    properties.homeTenantId,
    servicePrincipal ? properties.appOwnerTenantId : undefined,
    properties.resourceTenantId,
    record.tenantId,
  );
  if (tenant !== undefined) core.tenant = tenant;

  const app = text(properties.appId);
  if (app !== undefined) core.app = app;

  const address = clientAddress(firstText(properties.ipAddress, record.callerIpAddress));
  if (address !== undefined) core.srcIp = address;

  const session = firstText(properties.sessionId, properties.correlationId, record.correlationId);
  if (session !== undefined) core.session = session;

  const target = firstText(properties.resourceDisplayName, properties.resourceId);
  if (target !== undefined) core.target = target;

  core.action = firstText(record.operationName) ?? 'Sign-in activity';
  const code = firstText(pick(properties, 'status', 'errorCode'), record.resultType);
  if (code !== undefined) core.outcome = code === '0' ? 'success' : 'failure';
  return core;
}

export function signInSummary(properties: JsonObject, core: EventCore): string {
  const parts = ['sign-in'];
  if (core.actor) parts.push(core.actor);
  const app = firstText(properties.appDisplayName, properties.appId);
  if (app) parts.push(`to ${truncate(app, 80)}`);
  if (core.srcIp) parts.push(`from ${core.srcIp}`);
  const access = text(properties.crossTenantAccessType);
  if (access !== undefined) parts.push(`(${access}, home tenant ${core.tenant ?? '?'})`);
  if (core.outcome === 'failure') {
    parts.push(`failed: ${firstText(pick(properties, 'status', 'errorCode')) ?? '?'}`);
  }
  return parts.join(' ');
}
