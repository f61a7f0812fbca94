/**
 * Values of Sigma `|expand` placeholders: the defaults of those the shipped rule pack uses, which
 * the context file replaces under `settings.placeholders`, and what a placeholder without values
 * becomes. The Sigma specification requires a tool that cannot resolve a placeholder to reject
 * the rule, which is the default; `wildcard` and `empty` are explicit choices that let such rules load.
 */

import { UNRESOLVED_PLACEHOLDER_MODES } from '../context/schema.js';
import { MACOS_PLACEHOLDERS } from './placeholders-macos.js';
import { SAAS_PLACEHOLDERS } from './placeholders-saas.js';

export { UNRESOLVED_PLACEHOLDER_MODES };

/** Handling of a placeholder without values. */
export type UnresolvedPlaceholders = (typeof UNRESOLVED_PLACEHOLDER_MODES)[number];

/** Placeholder values as rules are compiled against them. */
export interface Placeholders {
  /** Values of a placeholder, in Sigma notation; undefined when none are set. */
  values(name: string): readonly (string | number)[] | undefined;
  /**
   * `reject`: the rule is not loaded. `wildcard`: the placeholder matches any text (`*`), so a
   * selection that uses it matches more. `empty`: the placeholder has no values, so the value
   * that contains it matches nothing.
   */
  unresolved: UnresolvedPlaceholders;
}

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
  privileged_groups: {
    description:
      'Names (TargetUserName of 4728/4732/4756) of groups that grant administrative rights.',
    values: [
      'Administrators',
      'Domain Admins',
      'Enterprise Admins',
      'Schema Admins',
      'Account Operators',
      'Backup Operators',
      'Server Operators',
      'Print Operators',
      'DnsAdmins',
      'Group Policy Creator Owners',
      'Remote Desktop Users',
      'Remote Management Users',
      'Hyper-V Administrators',
      'Enterprise Key Admins',
      'Key Admins',
      'Organization Management',
      'Exchange Trusted Subsystem',
    ],
  },
  privileged_roles: {
    description:
      'Cloud and directory roles or policies whose grant counts as a privileged target in alert severity.',
    values: [
      'AdministratorAccess',
      'IAMFullAccess',
      'Global Administrator',
      'Company Administrator',
      'Privileged Role Administrator',
      'Privileged Authentication Administrator',
      'Application Administrator',
      'Exchange Administrator',
      'Security Administrator',
      'Owner',
      'User Access Administrator',
      'roles/owner',
      'roles/editor',
      'roles/iam.securityAdmin',
      'SUPER_ADMIN',
      'Super Administrator',
    ],
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
  ...MACOS_PLACEHOLDERS,
  ...SAAS_PLACEHOLDERS,
  an1345_privileged_users: {
    description:
      'Target accounts whose sudo or su counts as elevation (sudo USER=, su "(to …)", the PAM session user).',
    values: ['root'],
  },
  an1345_sensitive_paths: {
    description:
      'Paths (Sigma wildcards) whose access counts as sensitive: audit PATH names, and paths in executed or sudo command lines. Public keys (*.pub) are left out by the rules.',
    values: [
      '/etc/shadow*',
      '/etc/gshadow*',
      '/etc/sudoers',
      '/etc/sudoers.d/*',
      '/etc/security/opasswd',
      '/root/.ssh/*',
      '/home/*/.ssh/id_*',
      '/home/*/.ssh/authorized_keys*',
      '/etc/ssh/ssh_host_*_key',
      '/root/.aws/*',
      '/home/*/.aws/credentials',
    ],
  },
  an1345_privileged_groups: {
    description:
      'Groups whose new members gain administrator rights or read access to logs; adding a user to one counts as an account change that grants access.',
    values: ['sudo', 'wheel', 'admin', 'adm', 'root'],
  },
  an1345_remote_shell_clients: {
    description: 'Executables (path suffixes) that open SSH connections to other hosts.',
    values: ['/ssh', '/scp', '/sftp'],
  },
  an1348_assume_role_calls: {
    description: 'STS calls (eventName) by which a party account takes a role in the account.',
    values: ['AssumeRole'],
  },
  an1348_privileged_calls: {
    description:
      'API calls (eventName) that count as privileged: IAM identity, credential and policy changes, snapshots, KMS grants and key policies, CloudTrail changes.',
    values: [
      'CreateUser',
      'CreateLoginProfile',
      'UpdateLoginProfile',
      'CreateAccessKey',
      'AddUserToGroup',
      'AttachUserPolicy',
      'AttachGroupPolicy',
      'AttachRolePolicy',
      'PutUserPolicy',
      'PutGroupPolicy',
      'PutRolePolicy',
      'CreatePolicyVersion',
      'SetDefaultPolicyVersion',
      'CreateRole',
      'UpdateAssumeRolePolicy',
      'DeleteRolePermissionsBoundary',
      'DeleteUserPermissionsBoundary',
      'DeactivateMFADevice',
      'DeleteVirtualMFADevice',
      'CreateSnapshot',
      'CreateSnapshots',
      'CopySnapshot',
      'CreateDBSnapshot',
      'CreateDBClusterSnapshot',
      'CopyDBSnapshot',
      'CopyDBClusterSnapshot',
      'CreateGrant',
      'PutKeyPolicy',
      'StopLogging',
      'DeleteTrail',
      'UpdateTrail',
      'PutEventSelectors',
    ],
  },
  an1348_exposure_calls: {
    description:
      'API calls (eventName) that can share a resource outside the account; they count when the source finds an outside principal in them (derived.grantsOutsideAccess).',
    values: [
      'PutBucketPolicy',
      'PutBucketAcl',
      'PutObjectAcl',
      'ModifySnapshotAttribute',
      'ModifyImageAttribute',
      'ModifyDBSnapshotAttribute',
      'ModifyDBClusterSnapshotAttribute',
    ],
  },
  an1348_mass_read_calls: {
    description:
      'S3 data calls (eventName) whose records count toward mass data access; each record is one object.',
    values: ['GetObject'],
  },
};

export const DEFAULT_PLACEHOLDERS: Readonly<Record<string, PlaceholderDefault>> = {
  ...AN1344_PLACEHOLDERS,
  ...IDENTITY_PLACEHOLDERS,
};

/** Looks a placeholder up in the context's values first, then in the defaults. */
export function placeholderLookup(
  overrides: Readonly<Record<string, readonly (string | number)[]>>,
  unresolved: UnresolvedPlaceholders = 'reject',
): Placeholders {
  // One lookup per settings object and mode, so that the detector can tell that rules compiled
  // while loading used its placeholders (compiled-at-load.ts).
  let byMode = lookups.get(overrides);
  if (!byMode) {
    byMode = new Map();
    lookups.set(overrides, byMode);
  }
  let lookup = byMode.get(unresolved);
  if (!lookup) {
    lookup = {
      values: (name) => overrides[name] ?? DEFAULT_PLACEHOLDERS[name]?.values,
      unresolved,
    };
    byMode.set(unresolved, lookup);
  }
  return lookup;
}

const lookups = new WeakMap<object, Map<UnresolvedPlaceholders, Placeholders>>();

const PLACEHOLDER_NAME = /(?<!\\)%([A-Za-z0-9_.-]+)%/g;

/** Names of the placeholders in a value, without the percent signs; `\%` is a plain percent. */
export function placeholderNames(value: string): string[] {
  return [...value.matchAll(PLACEHOLDER_NAME)].map((match) => match[1] as string);
}
