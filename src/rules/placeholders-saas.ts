import type { PlaceholderDefault } from './placeholders.js';

/** Defaults of the placeholders of the AN1349 SaaS rules: what counts as a high-privilege grant. */
export const SAAS_PLACEHOLDERS: Readonly<Record<string, PlaceholderDefault>> = {
  an1349_google_high_privilege_scopes: {
    description:
      'Google OAuth scopes (Sigma wildcards) whose grant to an app counts as high privilege: all of Gmail or Drive, and the Admin SDK directory.',
    values: [
      'https://mail.google.com/',
      'https://www.googleapis.com/auth/gmail.readonly',
      'https://www.googleapis.com/auth/gmail.modify',
      'https://www.googleapis.com/auth/gmail.settings.sharing',
      'https://www.googleapis.com/auth/drive',
      'https://www.googleapis.com/auth/drive.readonly',
      'https://www.googleapis.com/auth/admin.directory.*',
      'https://www.googleapis.com/auth/cloud-platform',
    ],
  },
  an1349_graph_high_privilege_permissions: {
    description:
      'Microsoft Graph and Exchange permissions whose grant to an app counts as high privilege, matched as text the audit record values contain (so Mail.Read also matches Mail.ReadBasic).',
    values: [
      'Mail.Read',
      'Mail.ReadWrite',
      'Mail.Send',
      'MailboxSettings.ReadWrite',
      'Files.Read.All',
      'Files.ReadWrite.All',
      'Sites.Read.All',
      'Sites.ReadWrite.All',
      'Sites.FullControl.All',
      'full_access_as_app',
      'EWS.AccessAsUser.All',
      'Exchange.ManageAsApp',
      'Directory.ReadWrite.All',
      'Application.ReadWrite.All',
      'AppRoleAssignment.ReadWrite.All',
      'RoleManagement.ReadWrite.Directory',
      'User.ReadWrite.All',
    ],
  },
  an1349_github_high_privilege_permissions: {
    description:
      'GitHub App permissions (name:level, as permission_levels lists them) whose grant counts as high privilege.',
    values: [
      'administration:write',
      'members:write',
      'organization_administration:write',
      'organization_secrets:write',
      'secrets:write',
      'organization_self_hosted_runners:write',
      'workflows:write',
    ],
  },
};
