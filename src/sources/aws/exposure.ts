/**
 * Derived fields of CloudTrail requests that share a resource outside the account: which
 * principals a bucket policy, bucket ACL, snapshot or image permission grants access to, when
 * they lie outside the account that owns the resource (the record's `recipientAccountId`).
 * CloudTrail carries the policy but not this judgement, which rules need as a plain field:
 *
 * - `derived.outsidePrincipals`: account ids outside the owner's account, and `*` for anyone;
 * - `derived.grantsOutsideAccess`: true when that list is not empty.
 *
 * NOTE: policy conditions (`aws:PrincipalOrgID`, `aws:SourceVpce` …) that narrow a `*` grant
 * are not evaluated, so such a statement still counts as granting anyone.
 */

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function list(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** `*`, `123456789012`, or `arn:aws:iam::123456789012:root` → the account id or `*`. */
function principalAccount(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  if (value === '*') return '*';
  if (/^\d{12}$/.test(value)) return value;
  const match = /^arn:aws[\w-]*:(?:iam|sts)::(\d{12}):/.exec(value);
  return match ? match[1] : undefined;
}

function policyDocument(value: unknown): Json | undefined {
  if (isObject(value)) return value;
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  try {
    const parsed = JSON.parse(value) as unknown;
    return isObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Accounts (or `*`) that the Allow statements of a resource policy name as principals. */
function policyPrincipals(policy: Json): string[] {
  const found: string[] = [];
  for (const statement of list(policy.Statement)) {
    if (!isObject(statement) || statement.Effect !== 'Allow') continue;
    const principal = statement.Principal;
    if (principal === '*') found.push('*');
    if (!isObject(principal)) continue;
    for (const item of list(principal.AWS)) {
      const account = principalAccount(item);
      if (account !== undefined) found.push(account);
    }
  }
  return found;
}

/** Accounts (or `*` for the group `all`) that a `{add: {items: [...]}}` permission adds. */
function addedPermissions(permission: unknown): string[] {
  if (!isObject(permission) || !isObject(permission.add)) return [];
  const found: string[] = [];
  for (const item of list(permission.add.items)) {
    if (!isObject(item)) continue;
    if (item.group === 'all') found.push('*');
    const account = principalAccount(item.userId);
    if (account !== undefined) found.push(account);
  }
  return found;
}

const PUBLIC_GRANTEES = /acs\.amazonaws\.com\/groups\/global\/(AllUsers|AuthenticatedUsers)/;

function grantedPrincipals(eventName: string, request: Json): string[] {
  switch (eventName) {
    case 'PutBucketPolicy': {
      const policy = policyDocument(request.bucketPolicy) ?? policyDocument(request.policy);
      return policy ? policyPrincipals(policy) : [];
    }
    case 'PutBucketAcl':
    case 'PutObjectAcl':
      return PUBLIC_GRANTEES.test(JSON.stringify(request)) ? ['*'] : [];
    case 'ModifySnapshotAttribute':
      return addedPermissions(request.createVolumePermission);
    case 'ModifyImageAttribute':
      return addedPermissions(request.launchPermission);
    case 'ModifyDBSnapshotAttribute':
    case 'ModifyDBClusterSnapshotAttribute':
      return list(request.valuesToAdd)
        .map((value) => (value === 'all' ? '*' : principalAccount(value)))
        .filter((value): value is string => value !== undefined);
    default:
      return [];
  }
}

/** Adds `derived.outsidePrincipals` and `derived.grantsOutsideAccess` when the request shares. */
export function addExposureFields(record: Json): void {
  const eventName = record.eventName;
  const request = record.requestParameters;
  if (typeof eventName !== 'string' || !isObject(request)) return;
  const principals = grantedPrincipals(eventName, request);
  if (principals.length === 0) return;

  const identity = isObject(record.userIdentity) ? record.userIdentity : {};
  const owner = record.recipientAccountId ?? identity.accountId;
  const outside = [
    ...new Set(principals.filter((account) => account === '*' || account !== owner)),
  ];
  if (outside.length === 0) return;
  const derived = isObject(record.derived) ? record.derived : {};
  derived.outsidePrincipals = outside;
  derived.grantsOutsideAccess = true;
  record.derived = derived;
}
