import { cloudTrailDigestFormat, cloudTrailFormat } from './aws/cloudtrail.js';
import { azureActivityFormat } from './azure/activity-log.js';
import { entraDiagnosticFormat } from './entra/entra-diagnostic.js';
import { entraGraphFormat } from './entra/entra-graph.js';
import { entraLogAnalyticsFormat } from './entra/entra-log-analytics.js';
import { evtxFormat } from './evtx/evtx.js';
import type { SourceFormat } from './format.js';
import { gcpAuditFormat } from './gcp/audit-log.js';
import { githubAuditCsvFormat } from './github/audit-csv.js';
import { githubAuditFormat } from './github/audit-log.js';
import { googleWorkspaceFormat } from './google/workspace-reports.js';
import { linuxAuditdFormat } from './linux/auditd.js';
import { journaldFormat } from './linux/journald.js';
import { logAnalyticsSyslogFormat } from './linux/log-analytics-syslog.js';
import { linuxSyslogFormat } from './linux/syslog.js';
import { m365DefenderHuntingFormat } from './m365/defender-hunting.js';
import { m365AuditCsvFormat } from './m365/m365-audit-csv.js';
import { m365ManagementApiFormat } from './m365/m365-management-api.js';
import { m365OfficeActivityFormat } from './m365/m365-office-activity.js';
import { macosBsmFormat } from './macos/bsm.js';
import { macosEsloggerFormat } from './macos/eslogger.js';
import { macosUnifiedLogFormat } from './macos/unified-log.js';
import { oktaSystemLogFormat } from './okta/okta-system-log.js';
import { evtxecmdCsvFormat, evtxecmdJsonFormat } from './windows/evtxecmd.js';
import { windowsFlatFormat } from './windows/windows-flat.js';
import { windowsJsonFormat } from './windows/windows-json.js';
import { windowsXmlFormat } from './windows/windows-xml.js';
import { winlogbeatFormat } from './windows/winlogbeat.js';

/** The formats trustwatch reads, by name. A duplicate name is a programming error. */
export class FormatRegistry {
  private readonly byName = new Map<string, SourceFormat>();

  constructor(formats: readonly SourceFormat[]) {
    for (const format of formats) {
      if (this.byName.has(format.name)) throw new Error(`duplicate source format ${format.name}`);
      this.byName.set(format.name, format);
    }
  }

  get(name: string): SourceFormat | undefined {
    return this.byName.get(name);
  }

  list(): SourceFormat[] {
    return [...this.byName.values()];
  }
}

/** Built-in formats, in the order `trustwatch formats` lists them. */
export const BUILTIN_FORMATS: readonly SourceFormat[] = [
  windowsXmlFormat,
  windowsJsonFormat,
  windowsFlatFormat,
  winlogbeatFormat,
  evtxecmdCsvFormat,
  evtxecmdJsonFormat,
  googleWorkspaceFormat,
  githubAuditFormat,
  githubAuditCsvFormat,
  gcpAuditFormat,
  azureActivityFormat,
  macosUnifiedLogFormat,
  macosEsloggerFormat,
  macosBsmFormat,
  evtxFormat,
  linuxSyslogFormat,
  journaldFormat,
  linuxAuditdFormat,
  logAnalyticsSyslogFormat,
  cloudTrailFormat,
  cloudTrailDigestFormat,
  entraDiagnosticFormat,
  entraGraphFormat,
  entraLogAnalyticsFormat,
  m365ManagementApiFormat,
  m365AuditCsvFormat,
  m365OfficeActivityFormat,
  m365DefenderHuntingFormat,
  oktaSystemLogFormat,
];

export function createFormatRegistry(extra: readonly SourceFormat[] = []): FormatRegistry {
  return new FormatRegistry([...BUILTIN_FORMATS, ...extra]);
}
