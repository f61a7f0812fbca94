import type { LogSourceMapping } from './mapping.js';

/**
 * Google Cloud and Google Workspace log sources as the public Sigma rules name them: product
 * `gcp`, with service `gcp.audit` for Cloud Audit Logs and `google_workspace.<application>` for
 * the Admin SDK Reports applications. The rules test some fields under the names of other
 * exports (Elastic's `gcp.audit.method_name`, a `data.` prefix, Cloud Logging's
 * `protoPayload.metadata.event.eventName` for Workspace), so those names map to the fields the
 * sources write.
 */

/** Rule field → Cloud Audit Log field. */
const GCP_AUDIT_FIELDS: Record<string, string> = {
  'gcp.audit.method_name': 'protoPayload.methodName',
  'gcp.audit.service_name': 'protoPayload.serviceName',
  'gcp.audit.resource_name': 'protoPayload.resourceName',
  'gcp.audit.principal_email': 'protoPayload.authenticationInfo.principalEmail',
  'data.protoPayload.methodName': 'protoPayload.methodName',
  'data.protoPayload.serviceName': 'protoPayload.serviceName',
  'data.protoPayload.resourceName': 'protoPayload.resourceName',
  'data.protoPayload.authorizationInfo.permission': 'protoPayload.authorizationInfo.permission',
  'data.protoPayload.authorizationInfo.granted': 'protoPayload.authorizationInfo.granted',
  'data.protoPayload.resource.type': 'resource.type',
  'data.protoPayload.logName': 'logName',
};

/** Rule field → Reports activity field, for the names rules borrow from other exports. */
const WORKSPACE_FIELDS: Record<string, string> = {
  eventName: 'name',
  eventType: 'type',
  setting_name: 'parameters.SETTING_NAME',
  new_value: 'parameters.NEW_VALUE',
  old_value: 'parameters.OLD_VALUE',
  'protoPayload.serviceName': 'eventService',
  'protoPayload.Servicename': 'eventService',
  'protoPayload.metadata.event.eventName': 'name',
  'protoPayload.metadata.event.eventType': 'type',
};

/** Reports API application names (`id.applicationName`), each a `google_workspace.*` service. */
const WORKSPACE_APPLICATIONS = [
  'access_transparency',
  'admin',
  'calendar',
  'chat',
  'chrome',
  'context_aware_access',
  'data_studio',
  'drive',
  'gcp',
  'gmail',
  'gplus',
  'groups',
  'groups_enterprise',
  'jamboard',
  'keep',
  'login',
  'meet',
  'mobile',
  'rules',
  'saml',
  'token',
  'user_accounts',
  'vault',
];

function buildGcpMappings(): LogSourceMapping[] {
  const mappings: LogSourceMapping[] = [
    { logsource: { product: 'gcp' }, description: 'every Google Cloud and Workspace event' },
    {
      logsource: { product: 'gcp', service: 'gcp.audit' },
      fields: GCP_AUDIT_FIELDS,
      description: 'Cloud Audit Logs (LogEntry with an AuditLog protoPayload)',
    },
    {
      logsource: { product: 'gcp', service: 'google_workspace' },
      fields: WORKSPACE_FIELDS,
      description: 'Workspace activities that name no application',
    },
  ];
  for (const application of WORKSPACE_APPLICATIONS) {
    mappings.push({
      logsource: { product: 'gcp', service: `google_workspace.${application}` },
      fields: WORKSPACE_FIELDS,
    });
  }
  return mappings;
}

export const GCP_LOGSOURCES: readonly LogSourceMapping[] = buildGcpMappings();
