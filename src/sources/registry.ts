import { entraDiagnosticFormat } from './entra/entra-diagnostic.js';
import { entraGraphFormat } from './entra/entra-graph.js';
import { entraLogAnalyticsFormat } from './entra/entra-log-analytics.js';
import type { SourceFormat } from './format.js';
import { m365AuditCsvFormat } from './m365/m365-audit-csv.js';
import { m365ManagementApiFormat } from './m365/m365-management-api.js';
import { m365OfficeActivityFormat } from './m365/m365-office-activity.js';
import { oktaSystemLogFormat } from './okta/okta-system-log.js';
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
  entraDiagnosticFormat,
  entraGraphFormat,
  entraLogAnalyticsFormat,
  m365ManagementApiFormat,
  m365AuditCsvFormat,
  m365OfficeActivityFormat,
  oktaSystemLogFormat,
];

export function createFormatRegistry(extra: readonly SourceFormat[] = []): FormatRegistry {
  return new FormatRegistry([...BUILTIN_FORMATS, ...extra]);
}
