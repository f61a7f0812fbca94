import type { PlaceholderDefault } from './placeholders.js';

/**
 * Default values of the `|expand` placeholders of the identity-provider (AN1347) and office-suite
 * (AN1350) chain rules; `settings.placeholders` in the context file replaces any of them.
 */

/**
 * Entra ID directory roles that can take over the tenant or its data, by display name and role
 * template id: the roles Microsoft's built-in roles reference (January 2026) labels privileged
 * and that change directory objects, plus Exchange and SharePoint Administrator.
 */
const ENTRA_PRIVILEGED_ROLES: readonly [string, string][] = [
  ['Global Administrator', '62e90394-69f5-4237-9190-012177145e10'],
  ['Privileged Role Administrator', 'e8611ab8-c189-46e8-94e1-60213ab1f814'],
  ['Privileged Authentication Administrator', '7be44c8a-adaf-4e2a-84d6-ab2649e08a13'],
  ['Application Administrator', '9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3'],
  ['Cloud Application Administrator', '158c047a-c907-4556-b7ef-446551a6b5f7'],
  ['Security Administrator', '194ae4cb-b126-40b2-bd5b-6091b380977d'],
  ['Exchange Administrator', '29232cdf-9323-42fd-ade2-1d097af3e4de'],
  ['SharePoint Administrator', 'f28a1f50-f6e7-4571-818b-6a12f2af6b6c'],
  ['User Administrator', 'fe930be7-5e62-47db-91af-98c3a49a38b1'],
  ['Authentication Administrator', 'c4e39bd9-1100-46d3-8c65-fb160da0071f'],
  ['Hybrid Identity Administrator', '8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2'],
  ['Conditional Access Administrator', 'b1be1c3e-b65d-4f19-8427-f6fa0d97feb9'],
  ['Intune Administrator', '3a2c62db-5318-420d-8d74-23affee5d9d5'],
  ['Helpdesk Administrator', '729827e3-9c14-49f7-bb1b-9608f156bbb8'],
  ['Password Administrator', '966707d0-3269-4727-9be2-8c3a10f19b9d'],
  ['Domain Name Administrator', '8329153b-31d0-4727-b945-745eb3bc5f31'],
  ['External Identity Provider Administrator', 'be2f45a1-457d-42af-a067-6ec1fa63bc45'],
  ['Directory Writers', '9360feb5-f418-4baa-8175-e2a00bac4301'],
  ['Cloud Device Administrator', '7698a772-787b-4ac8-901f-60d6b08affd2'],
  ['Partner Tier1 Support', '4ba39ca4-527c-499a-b93d-d9b492c50246'],
  ['Partner Tier2 Support', 'e00e864a-17c5-4a4b-9c06-f5b95a8d5bd8'],
];

export const IDENTITY_PLACEHOLDERS: Readonly<Record<string, PlaceholderDefault>> = {
  an1347_cross_tenant_access_types: {
    description:
      'Entra ID sign-in crossTenantAccessType values that mark an external session: partner admins (GDAP/DAP), B2B guests and direct connect, Microsoft support.',
    values: ['serviceProvider', 'b2bCollaboration', 'b2bDirectConnect', 'microsoftSupport'],
  },
  an1347_okta_external_signin_events: {
    description: 'Okta eventType values of a sign-in through an external identity provider.',
    values: ['user.authentication.auth_via_IDP'],
  },
  an1347_role_assignment_operations: {
    description:
      'Entra ID audit activities that assign a directory role, PIM activations and eligible assignments included (Sigma wildcards allowed).',
    values: ['Add member to role*', 'Add eligible member to role*', 'Add scoped member to role*'],
  },
  an1347_privileged_roles: {
    description:
      'Entra ID directory roles whose assignment counts as elevation, by display name or role template id.',
    values: ENTRA_PRIVILEGED_ROLES.flat(),
  },
  an1347_permission_grant_operations: {
    description: 'Entra ID audit activities that grant an application permissions.',
    values: [
      'Consent to application',
      'Add delegated permission grant',
      'Add app role assignment to service principal',
    ],
  },
  an1347_high_privilege_permissions: {
    description:
      'Microsoft Graph and Exchange scopes and app roles whose grant counts as elevation: mail, files, directory and role management.',
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
      'Directory.ReadWrite.All',
      'RoleManagement.ReadWrite.Directory',
      'AppRoleAssignment.ReadWrite.All',
      'Application.ReadWrite.All',
      'User.ReadWrite.All',
      'Group.ReadWrite.All',
      'Domain.ReadWrite.All',
      'Policy.ReadWrite.ConditionalAccess',
      'full_access_as_app',
      'full_access_as_user',
      'EWS.AccessAsUser.All',
      'Exchange.ManageAsApp',
    ],
  },
  an1347_okta_privileged_roles: {
    description:
      "Okta administrator roles (debugData.privilegeGranted, matched as contained text) whose grant counts as elevation: Okta's standard admin roles that can change users, devices, apps or policies (not the read-only and report roles).",
    values: [
      'Super administrator',
      'Organization administrator',
      'Application administrator',
      'Group administrator',
      'Group Membership administrator',
      'Help Desk administrator',
      'Mobile administrator',
      'API Access Management administrator',
    ],
  },
  an1347_privileged_operations: {
    description:
      'Entra ID audit activities that count as privileged actions after an elevation: credentials, federation, users, owners and policies. Role assignments and grants are elevation (step 2) only, so a second one does not complete a chain.',
    values: [
      'Add service principal credentials',
      'Update application – Certificates and secrets management*',
      'Update application*Certificates and secrets management*',
      'Set domain authentication',
      'Set federation settings on domain',
      'Add unverified domain',
      'Verify domain',
      'Add user',
      'Reset user password',
      'Reset password (by admin)',
      'Add owner to application',
      'Add owner to service principal',
      'Update conditional access policy',
      'Delete conditional access policy',
      'Disable Strong Authentication',
    ],
  },
  an1347_okta_privileged_events: {
    description:
      'Okta eventType values that count as privileged actions after an elevation: identity providers, credentials, tokens, users, policies. Privilege grants are elevation (step 2) only.',
    values: [
      'system.idp.lifecycle.create',
      'system.idp.lifecycle.update',
      'user.account.reset_password',
      'system.api_token.create',
      'user.lifecycle.create',
      'user.mfa.factor.deactivate',
      'user.mfa.factor.reset_all',
      'application.lifecycle.create',
      'policy.lifecycle.update',
      'policy.rule.update',
    ],
  },
  an1350_partner_operations: {
    description:
      'Audit operations that create or change a delegated administration relationship with a partner tenant.',
    values: ['Add partner to company', 'Add partner to company.'],
  },
  an1350_mailbox_access_rights: {
    description: 'Add-MailboxPermission access rights that count as mailbox delegation.',
    values: ['FullAccess'],
  },
  an1350_folder_access_rights: {
    description:
      'Add-MailboxFolderPermission access rights that count as mailbox delegation (read or more).',
    values: ['Owner', 'PublishingEditor', 'Editor', 'PublishingAuthor', 'Author', 'Reviewer'],
  },
  an1350_impersonation_roles: {
    description: 'Exchange management roles whose assignment lets an account act as any mailbox.',
    values: ['ApplicationImpersonation', 'Mailbox Import Export'],
  },
  an1350_mailbox_access_operations: {
    description: 'Exchange mailbox operations that count as follow-on access to delegated mail.',
    values: ['MailItemsAccessed', 'Send', 'SendAs', 'SendOnBehalf'],
  },
};
