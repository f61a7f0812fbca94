import type { LogSourceMapping } from './mapping.js';

/**
 * Windows log sources as the public Sigma rules name them: `service` is an event log channel,
 * `category` a Sysmon event id (or the Security-channel event that records the same activity,
 * with its field names mapped to Sysmon's).
 */

const SYSMON = 'Microsoft-Windows-Sysmon/Operational';
const DEFENDER = 'Microsoft-Windows-Windows Defender/Operational';
const POWERSHELL = ['Microsoft-Windows-PowerShell/Operational', 'PowerShellCore/Operational'];

const SERVICES: [string, string[]][] = [
  ['security', ['Security']],
  ['system', ['System']],
  ['application', ['Application']],
  ['sysmon', [SYSMON]],
  ['powershell', POWERSHELL],
  ['powershell-classic', ['Windows PowerShell']],
  ['taskscheduler', ['Microsoft-Windows-TaskScheduler/Operational']],
  ['wmi', ['Microsoft-Windows-WMI-Activity/Operational']],
  ['windefend', [DEFENDER]],
  [
    'applocker',
    [
      'Microsoft-Windows-AppLocker/EXE and DLL',
      'Microsoft-Windows-AppLocker/MSI and Script',
      'Microsoft-Windows-AppLocker/Packaged app-Deployment',
      'Microsoft-Windows-AppLocker/Packaged app-Execution',
    ],
  ],
  ['bits-client', ['Microsoft-Windows-Bits-Client/Operational']],
  ['dns-server', ['DNS Server']],
  ['dns-server-analytic', ['Microsoft-Windows-DNS-Server/Analytical']],
  ['dns-client', ['Microsoft-Windows-DNS Client Events/Operational']],
  ['driver-framework', ['Microsoft-Windows-DriverFrameworks-UserMode/Operational']],
  ['firewall-as', ['Microsoft-Windows-Windows Firewall With Advanced Security/Firewall']],
  ['codeintegrity-operational', ['Microsoft-Windows-CodeIntegrity/Operational']],
  ['msexchange-management', ['MSExchange Management']],
  ['ntlm', ['Microsoft-Windows-NTLM/Operational']],
  ['openssh', ['OpenSSH/Operational']],
  ['printservice-admin', ['Microsoft-Windows-PrintService/Admin']],
  ['printservice-operational', ['Microsoft-Windows-PrintService/Operational']],
  [
    'security-mitigations',
    [
      'Microsoft-Windows-Security-Mitigations/Kernel Mode',
      'Microsoft-Windows-Security-Mitigations/User Mode',
    ],
  ],
  ['smbclient-security', ['Microsoft-Windows-SmbClient/Security']],
  ['smbclient-connectivity', ['Microsoft-Windows-SmbClient/Connectivity']],
  ['smbserver-connectivity', ['Microsoft-Windows-SMBServer/Connectivity']],
  [
    'terminalservices-localsessionmanager',
    ['Microsoft-Windows-TerminalServices-LocalSessionManager/Operational'],
  ],
  [
    'terminalservices-remoteconnectionmanager',
    ['Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational'],
  ],
  ['rdpcorets', ['Microsoft-Windows-RemoteDesktopServices-RdpCoreTS/Operational']],
  ['winrm', ['Microsoft-Windows-WinRM/Operational']],
  ['shell-core', ['Microsoft-Windows-Shell-Core/Operational']],
  ['appxdeployment-server', ['Microsoft-Windows-AppXDeploymentServer/Operational']],
  ['appxpackaging-om', ['Microsoft-Windows-AppxPackaging/Operational']],
  ['appmodel-runtime', ['Microsoft-Windows-AppModel-Runtime/Admin']],
  ['capi2', ['Microsoft-Windows-CAPI2/Operational']],
  [
    'certificateservicesclient-lifecycle-system',
    ['Microsoft-Windows-CertificateServicesClient-Lifecycle-System/Operational'],
  ],
  ['diagnosis-scripted', ['Microsoft-Windows-Diagnosis-Scripted/Operational']],
  ['iis-configuration', ['Microsoft-IIS-Configuration/Operational']],
  ['ldap', ['Microsoft-Windows-LDAP-Client/Debug']],
  ['lsa-server', ['Microsoft-Windows-LSA/Operational']],
  ['microsoft-servicebus-client', ['Microsoft-ServiceBus-Client']],
  ['vhdmp', ['Microsoft-Windows-VHDMP/Operational']],
];

/** Sysmon event ids per category; a category with several ids lists them all. */
const SYSMON_CATEGORIES: [string, number[], Record<string, string[]>?][] = [
  ['process_creation', [1]],
  ['file_change', [2]],
  ['network_connection', [3]],
  ['sysmon_status', [4, 16]],
  ['process_termination', [5]],
  ['driver_load', [6]],
  ['image_load', [7]],
  ['create_remote_thread', [8]],
  ['raw_access_thread', [9]],
  ['process_access', [10]],
  ['file_event', [11]],
  ['registry_add', [12], { EventType: ['CreateKey'] }],
  ['registry_delete', [12], { EventType: ['DeleteKey', 'DeleteValue'] }],
  ['registry_set', [13]],
  ['registry_rename', [14]],
  ['registry_event', [12, 13, 14]],
  ['create_stream_hash', [15]],
  ['pipe_created', [17, 18]],
  ['wmi_event', [19, 20, 21]],
  ['dns_query', [22]],
  ['file_delete', [23]],
  ['clipboard_change', [24]],
  ['process_tampering', [25]],
  ['file_delete_detected', [26]],
  ['file_block_executable', [27]],
  ['file_block_shredding', [28]],
  ['file_executable_detected', [29]],
  ['sysmon_error', [255]],
];

/** Security 4688 carries process creation under other names than Sysmon event 1. */
const PROCESS_CREATION_4688_FIELDS: Record<string, string> = {
  Image: 'NewProcessName',
  ParentImage: 'ParentProcessName',
  ProcessId: 'NewProcessId',
  ParentProcessId: 'ProcessId',
  LogonId: 'SubjectLogonId',
  User: 'SubjectUserName',
  IntegrityLevel: 'MandatoryLabel',
};

/** Security 5156 (Windows Filtering Platform connection allowed) named as Sysmon event 3. */
const NETWORK_CONNECTION_5156_FIELDS: Record<string, string> = {
  Image: 'Application',
  // The event's own ProcessID collides with the System one, so the flat event keeps it here.
  ProcessId: 'EventData.ProcessID',
  SourceIp: 'SourceAddress',
  DestinationIp: 'DestAddress',
  DestinationPort: 'DestPort',
};

/** Security 4657 (registry value modified) named as Sysmon event 13. */
const REGISTRY_4657_FIELDS: Record<string, string> = {
  TargetObject: 'ObjectName',
  Details: 'NewValue',
  Image: 'ProcessName',
};

/** Security 4663 (an object was accessed) on files, named as the file_access rules name them. */
const FILE_ACCESS_4663_FIELDS: Record<string, string> = {
  FileName: 'ObjectName',
  TargetFilename: 'ObjectName',
  Image: 'ProcessName',
};

/**
 * Windows Defender events that name a threat (detection, action taken, action failed), for the
 * generic `antivirus` rules, whose `Signature` and `Filename` are Defender's `Threat Name` and
 * `Path`.
 */
const DEFENDER_THREAT_EVENTS = [
  1006, 1007, 1008, 1009, 1010, 1011, 1012, 1017, 1018, 1019, 1115, 1116, 1117, 1118, 1119,
];

function buildWindowsMappings(): LogSourceMapping[] {
  const mappings: LogSourceMapping[] = [
    { logsource: { product: 'windows' }, description: 'every Windows event' },
  ];
  for (const [service, channels] of SERVICES) {
    mappings.push({ logsource: { product: 'windows', service }, where: { Channel: channels } });
  }
  for (const [category, ids, extra] of SYSMON_CATEGORIES) {
    mappings.push({
      logsource: { product: 'windows', category },
      where: { Channel: [SYSMON], EventID: ids, ...(extra ?? {}) },
    });
  }
  mappings.push({
    logsource: { product: 'windows', category: 'process_creation' },
    where: { Channel: ['Security'], EventID: [4688] },
    fields: PROCESS_CREATION_4688_FIELDS,
    description: 'Security 4688 with field names mapped to Sysmon event 1',
  });
  mappings.push(
    {
      logsource: { product: 'windows', category: 'network_connection' },
      where: { Channel: ['Security'], EventID: [5156] },
      fields: NETWORK_CONNECTION_5156_FIELDS,
      description: 'Security 5156 with field names mapped to Sysmon event 3',
    },
    ...['registry_set', 'registry_event'].map((category) => ({
      logsource: { product: 'windows', category },
      where: { Channel: ['Security'], EventID: [4657] },
      fields: REGISTRY_4657_FIELDS,
      description: 'Security 4657 with field names mapped to Sysmon event 13',
    })),
    {
      logsource: { product: 'windows', category: 'file_access' },
      where: { Channel: ['Security'], EventID: [4663], ObjectType: ['File'] },
      fields: FILE_ACCESS_4663_FIELDS,
      description: 'Security 4663 on files, with the object name as FileName',
    },
    {
      logsource: { product: 'windows', category: 'antivirus' },
      where: { Channel: [DEFENDER], EventID: DEFENDER_THREAT_EVENTS },
      fields: { Signature: 'ThreatName', Filename: 'Path' },
      description: 'Windows Defender threat events, with Signature and Filename mapped',
    },
  );
  mappings.push(
    {
      logsource: { product: 'windows', category: 'ps_module' },
      where: { Channel: POWERSHELL, EventID: [4103] },
    },
    {
      logsource: { product: 'windows', category: 'ps_script' },
      where: { Channel: POWERSHELL, EventID: [4104] },
    },
    {
      logsource: { product: 'windows', category: 'ps_classic_start' },
      where: { Channel: ['Windows PowerShell'], EventID: [400] },
    },
    {
      logsource: { product: 'windows', category: 'ps_classic_provider_start' },
      where: { Channel: ['Windows PowerShell'], EventID: [600] },
    },
    {
      logsource: { product: 'windows', category: 'ps_classic_script' },
      where: { Channel: ['Windows PowerShell'], EventID: [800] },
    },
  );
  return mappings;
}

export const WINDOWS_LOGSOURCES: readonly LogSourceMapping[] = buildWindowsMappings();
