/**
 * Program names under which the OpenSSH server logs: `sshd`, the per-connection `sshd-session`
 * that OpenSSH 9.8 split off, and the pre-authentication `sshd-auth` of OpenSSH 10.0.
 */
export const SSHD_PROGRAMS: readonly string[] = ['sshd', 'sshd-session', 'sshd-auth'];

const SSHD_PROGRAM_NAMES: ReadonlySet<string> = new Set(SSHD_PROGRAMS);

/** Checks whether a syslog tag or process name is one of the OpenSSH server's programs. */
export function isSshdProgram(name: string | undefined): boolean {
  return name !== undefined && SSHD_PROGRAM_NAMES.has(name.toLowerCase());
}
