/**
 * Default values of the `|expand` placeholders the shipped rule pack uses. The context file
 * replaces any of them under `settings.placeholders`; `trustwatch rules placeholders` lists them.
 */

import { IDENTITY_PLACEHOLDERS } from './identity-placeholders.js';

export interface PlaceholderDefault {
  description: string;
  values: readonly (string | number)[];
}

const AN1344_PLACEHOLDERS: Readonly<Record<string, PlaceholderDefault>> = {
  an1344_logon_types: {
    description:
      'Windows logon types that count as a third-party logon (3 network, 10 remote interactive).',
    values: [3, 10],
  },
  an1344_privileged_groups: {
    description:
      'Groups whose new members count as privilege elevation (4728/4732/4756 TargetUserName); `*` is any group.',
    values: ['*'],
  },
  an1344_remote_tool_images: {
    description: 'Executables (path suffixes) that run code or sessions on another host.',
    values: ['\\psexec.exe', '\\psexec64.exe', '\\paexec.exe', '\\winrs.exe', '\\mstsc.exe'],
  },
  an1344_remote_command_markers: {
    description:
      'Command-line fragments that address another host (Sigma wildcards allowed): UNC admin shares, wmic /node:, PowerShell remoting.',
    values: [
      '\\\\\\\\*\\\\admin$*',
      '\\\\\\\\*\\\\c$*',
      '/node:',
      '-node:',
      ' -r:',
      '/v:',
      '-computername ',
      'enter-pssession',
      'invoke-command',
    ],
  },
  an1344_admin_shares: {
    description:
      'Share name endings (5140/5145 ShareName) whose access on the target counts as lateral movement.',
    values: ['\\\\ADMIN$', '\\\\C$'],
  },
  an1344_remote_pipes: {
    description:
      'Named pipes on IPC$ (5145 RelativeTargetName) used to create services or tasks remotely.',
    values: ['svcctl', 'atsvc'],
  },
};

export const DEFAULT_PLACEHOLDERS: Readonly<Record<string, PlaceholderDefault>> = {
  ...AN1344_PLACEHOLDERS,
  ...IDENTITY_PLACEHOLDERS,
};

/** Looks a placeholder up in the context's values first, then in the defaults. */
export function placeholderLookup(
  overrides: Readonly<Record<string, readonly (string | number)[]>>,
) {
  return (name: string): readonly (string | number)[] | undefined =>
    overrides[name] ?? DEFAULT_PLACEHOLDERS[name]?.values;
}
