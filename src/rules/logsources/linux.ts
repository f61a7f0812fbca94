import { SSHD_PROGRAMS } from '../../sources/openssh.js';
import type { LogSourceMapping } from './mapping.js';

/**
 * Linux log sources as the public Sigma rules name them. Syslog files and journald exports give
 * events of `service: syslog`. The narrower services select them by the program that wrote the
 * line (`program`, the syslog tag), and `auth` also by the auth and authpriv facilities when the
 * line carries one. Audit logs give events of `service: auditd`. `process_creation` is the
 * execve of an audit event, and the command that sudo ran, with their fields mapped to the names
 * Sigma's process_creation rules use.
 */

/** Programs whose messages /var/log/auth.log and /var/log/secure receive. */
const AUTH_PROGRAMS = [
  ...SSHD_PROGRAMS,
  'sudo',
  'su',
  'login',
  'passwd',
  'chpasswd',
  'chsh',
  'chfn',
  'newgrp',
  'useradd',
  'usermod',
  'userdel',
  'groupadd',
  'groupmod',
  'groupdel',
  'gpasswd',
  'chage',
  'adduser',
  'deluser',
  'systemd-logind',
  'polkitd',
  'pkexec',
  'unix_chkpwd',
  'cron',
  'crond',
  'pam',
];

const SERVICES: [string, string[]][] = [
  ['sshd', [...SSHD_PROGRAMS]],
  ['sudo', ['sudo']],
  ['cron', ['cron', 'crond', 'anacron']],
  ['vsftpd', ['vsftpd']],
  ['clamav', ['clamd', 'freshclam', 'clamav-milter']],
  ['guacamole', ['guacd']],
];

/** Audit execve events, as Sigma's process_creation rules name their fields. */
const AUDIT_PROCESS_FIELDS: Record<string, string> = {
  Image: 'exe',
  CommandLine: 'cmdline',
  CurrentDirectory: 'cwd',
  ProcessId: 'pid',
  ParentProcessId: 'ppid',
  LogonId: 'ses',
};

/** A sudo command line, as Sigma's process_creation rules name its fields. */
const SUDO_PROCESS_FIELDS: Record<string, string> = {
  Image: 'command_path',
  CommandLine: 'command',
  CurrentDirectory: 'pwd',
  User: 'target_user',
};

function buildLinuxMappings(): LogSourceMapping[] {
  const mappings: LogSourceMapping[] = [
    { logsource: { product: 'linux' }, description: 'every Linux event' },
    { logsource: { product: 'linux', service: 'syslog' }, description: 'syslog and journald' },
    { logsource: { product: 'linux', service: 'auditd' }, description: 'audit events' },
    {
      logsource: { product: 'linux', service: 'auth' },
      where: { program: AUTH_PROGRAMS },
      description: 'messages of the programs that write to auth.log and secure',
    },
    {
      logsource: { product: 'linux', service: 'auth' },
      where: { facility: ['auth', 'authpriv'] },
      description: 'messages of the auth and authpriv facilities',
    },
  ];
  for (const [service, programs] of SERVICES) {
    mappings.push({ logsource: { product: 'linux', service }, where: { program: programs } });
  }
  mappings.push(
    {
      logsource: { product: 'linux', category: 'process_creation' },
      where: { type: ['EXECVE', 'AUOMS_EXECVE'] },
      fields: AUDIT_PROCESS_FIELDS,
      description: 'audit execve events with fields mapped to process_creation names',
    },
    {
      logsource: { product: 'linux', category: 'process_creation' },
      where: { program: ['sudo'], action: ['sudo_command'] },
      fields: SUDO_PROCESS_FIELDS,
      description: 'commands run by sudo with fields mapped to process_creation names',
    },
  );
  return mappings;
}

export const LINUX_LOGSOURCES: readonly LogSourceMapping[] = buildLinuxMappings();
