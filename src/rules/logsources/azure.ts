import type { LogSourceMapping } from './mapping.js';

/**
 * Azure log sources as the public Sigma rules name them. Entra ID sources give every record
 * the Azure Monitor diagnostic shape (`operationName`, `resultType`, the Graph object under
 * `properties`) and set the service from its category: `signinlogs`, `auditlogs` or
 * `riskdetection`. The public rules also use Log Analytics column names (`ResultType`,
 * `OperationName`, `Category`) and bare Graph names (`userAgent`). The field maps below send
 * those names to the diagnostic fields. `product: azure` alone and the Activity log's services
 * are mapped in `azure-activity.ts`.
 */

const SIGNIN_FIELDS: Record<string, string> = {
  ResultType: 'resultType',
  ResultDescription: 'resultDescription',
  Resultdescription: 'resultDescription',
  Category: 'category',
  OperationName: 'operationName',
  CorrelationId: 'correlationId',
  AuthenticationRequirement: 'properties.authenticationRequirement',
  ConditionalAccessStatus: 'properties.conditionalAccessStatus',
  conditionalAccessStatus: 'properties.conditionalAccessStatus',
  UserAgent: 'properties.userAgent',
  userAgent: 'properties.userAgent',
  UserPrincipalName: 'properties.userPrincipalName',
  Username: 'properties.userPrincipalName',
  UserId: 'properties.userId',
  UserType: 'properties.userType',
  AppId: 'properties.appId',
  AppDisplayName: 'properties.appDisplayName',
  IPAddress: 'properties.ipAddress',
  ClientApp: 'properties.clientAppUsed',
  ClientAppUsed: 'properties.clientAppUsed',
  ResourceDisplayName: 'properties.resourceDisplayName',
  ResourceTenantId: 'properties.resourceTenantId',
  resourceTenantId: 'properties.resourceTenantId',
  HomeTenantId: 'properties.homeTenantId',
  homeTenantId: 'properties.homeTenantId',
  CrossTenantAccessType: 'properties.crossTenantAccessType',
  crossTenantAccessType: 'properties.crossTenantAccessType',
  RiskState: 'properties.riskState',
  RiskLevelDuringSignIn: 'properties.riskLevelDuringSignIn',
  RiskLevelAggregated: 'properties.riskLevelAggregated',
  NetworkLocationDetails: 'properties.networkLocationDetails',
  IsInteractive: 'properties.isInteractive',
  SessionId: 'properties.sessionId',
  'DeviceDetail.isCompliant': 'properties.deviceDetail.isCompliant',
  'DeviceDetail.isManaged': 'properties.deviceDetail.isManaged',
  'DeviceDetail.deviceId': 'properties.deviceDetail.deviceId',
  'DeviceDetail.trusttype': 'properties.deviceDetail.trustType',
  'DeviceDetail.trustType': 'properties.deviceDetail.trustType',
  'DeviceDetail.operatingSystem': 'properties.deviceDetail.operatingSystem',
  'DeviceDetail.browser': 'properties.deviceDetail.browser',
};

const AUDIT_FIELDS: Record<string, string> = {
  // `properties.message` is an older name of the operation in Azure Monitor records.
  'properties.message': 'operationName',
  OperationName: 'operationName',
  // In AuditLogs, Category is the audit category (RoleManagement), not the log category.
  Category: 'properties.category',
  category: 'properties.category',
  Status: 'properties.result',
  Result: 'properties.result',
  failure_status_reason: 'properties.resultReason',
  LoggedByService: 'properties.loggedByService',
  ActivityDisplayName: 'properties.activityDisplayName',
  ActivityType: 'properties.activityDisplayName',
  activityType: 'properties.activityDisplayName',
  CorrelationId: 'correlationId',
  'properties.targetResources': 'TargetResources',
  'properties.initiatedBy': 'InitiatedBy',
  Initiatedby: 'InitiatedBy',
  'targetResources.type': 'properties.targetResources.type',
  'TargetResources.modifiedProperties': 'properties.targetResources.modifiedProperties.newValue',
  'TargetResources.modifiedProperties.newValue':
    'properties.targetResources.modifiedProperties.newValue',
  'TargetResources.ModifiedProperties.NewValue':
    'properties.targetResources.modifiedProperties.newValue',
  'TargetResources.ModifiedProperties.DisplayName':
    'properties.targetResources.modifiedProperties.displayName',
  'ConsentContext.IsAdminConsent': 'modifiedProperties.ConsentContext.IsAdminConsent.newValue',
  'ConsentContext.IsAppOnly': 'modifiedProperties.ConsentContext.IsAppOnly.newValue',
};

const RISK_FIELDS: Record<string, string> = {
  riskEventType: 'properties.riskEventType',
  RiskEventType: 'properties.riskEventType',
  riskLevel: 'properties.riskLevel',
  riskState: 'properties.riskState',
};

export const AZURE_LOGSOURCES: readonly LogSourceMapping[] = [
  {
    logsource: { product: 'azure', service: 'signinlogs' },
    fields: SIGNIN_FIELDS,
    description: 'Entra ID sign-ins: interactive, non-interactive, service principal',
  },
  {
    logsource: { product: 'azure', service: 'auditlogs' },
    fields: AUDIT_FIELDS,
    description: 'Entra ID directory audit',
  },
  {
    logsource: { product: 'azure', service: 'riskdetection' },
    fields: RISK_FIELDS,
    description: 'Entra ID Protection risk detections and risky users',
  },
];
