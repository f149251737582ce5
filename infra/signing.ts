import { optional, permanent } from "./config";

/**
 * Release signing keys (ECDSA_SHA_256, RAW messages ≤ 4,096 bytes) that no Lambda can use to sign:
 * each key's policy allows `kms:Sign` to one dedicated role and explicitly denies it to every other
 * principal, so no identity policy (the API's, a compromised admin-free role's) can grant it.
 *
 * - the **release** key signs every manifest; its role is assumed by the release pipeline (GitHub
 *   environment `release`) or a release engineer;
 * - the **approver** key adds the second signature a broadening version needs; its role is assumed
 *   by a different set of people (GitHub environment `release-approval`, with required reviewers).
 *
 * Only the public halves leave AWS: the executor verifies against keys pinned in its configuration.
 * Asymmetric keys cannot rotate automatically; rotation is a new key plus a pinned-key update.
 */

const accountId = aws.getCallerIdentityOutput().accountId;
const partition = aws.getPartitionOutput().partition;

type SignerKind = "release" | "approver";

/** GitHub's OIDC provider, created once per account (the README's deploy runbook, bootstrap). */
const GITHUB_OIDC_HOST = "token.actions.githubusercontent.com";
export const GITHUB_ENVIRONMENTS: Record<SignerKind, string> = { release: "release", approver: "release-approval" };

const PRINCIPAL_ARN = /^arn:aws[\w-]*:iam::\d{12}:(role|user)\/[\w+=,.@/-]+$/;

/** `STACKFLEET_RELEASE_PRINCIPALS` / `STACKFLEET_APPROVER_PRINCIPALS`: comma-separated role or user ARNs. */
function principalsFor(kind: SignerKind): string[] {
  const name = `STACKFLEET_${kind.toUpperCase()}_PRINCIPALS`;
  const arns = (optional(name) ?? "")
    .split(",")
    .map((arn) => arn.trim())
    .filter(Boolean);
  const bad = arns.find((arn) => !PRINCIPAL_ARN.test(arn));
  if (bad) throw new Error(`${name}: not an IAM role or user ARN: ${bad}`);
  return arns;
}

/** `STACKFLEET_GITHUB_REPOSITORY` (`owner/name`): the repository whose protected environments may sign. */
function githubRepository(): string | undefined {
  const repo = optional("STACKFLEET_GITHUB_REPOSITORY");
  if (repo !== undefined && !/^[\w.-]+\/[\w.-]+$/.test(repo)) {
    throw new Error(`STACKFLEET_GITHUB_REPOSITORY must be owner/name, got ${repo}`);
  }
  return repo;
}

function signerTrust(kind: SignerKind) {
  const principals = principalsFor(kind);
  const repo = githubRepository();
  if (principals.length === 0 && !repo) {
    throw new Error(
      `Nobody could sign for stage "${$app.stage}": set STACKFLEET_${kind.toUpperCase()}_PRINCIPALS and/or STACKFLEET_GITHUB_REPOSITORY`,
    );
  }
  const statements: aws.types.input.iam.GetPolicyDocumentStatementArgs[] = [];
  if (principals.length > 0) {
    statements.push({ actions: ["sts:AssumeRole"], principals: [{ type: "AWS", identifiers: principals }] });
  }
  if (repo) {
    statements.push({
      actions: ["sts:AssumeRoleWithWebIdentity"],
      principals: [
        {
          type: "Federated",
          identifiers: [$interpolate`arn:${partition}:iam::${accountId}:oidc-provider/${GITHUB_OIDC_HOST}`],
        },
      ],
      conditions: [
        { test: "StringEquals", variable: `${GITHUB_OIDC_HOST}:aud`, values: ["sts.amazonaws.com"] },
        {
          test: "StringEquals",
          variable: `${GITHUB_OIDC_HOST}:sub`,
          values: [`repo:${repo}:environment:${GITHUB_ENVIRONMENTS[kind]}`],
        },
      ],
    });
  }
  return aws.iam.getPolicyDocumentOutput({ statements }).json;
}

/** Manage the key, never use it to sign; `kms:PutKeyPolicy` stays with account admins (audited). */
const KEY_ADMIN_ACTIONS = [
  "kms:Create*",
  "kms:Describe*",
  "kms:Enable*",
  "kms:List*",
  "kms:Put*",
  "kms:Update*",
  "kms:Revoke*",
  "kms:Disable*",
  "kms:Get*",
  "kms:Delete*",
  "kms:TagResource",
  "kms:UntagResource",
  "kms:ScheduleKeyDeletion",
  "kms:CancelKeyDeletion",
];

function keyPolicy(signerRoleArn: $util.Output<string>) {
  const root = $interpolate`arn:${partition}:iam::${accountId}:root`;
  return aws.iam.getPolicyDocumentOutput({
    statements: [
      {
        sid: "KeyAdministration",
        actions: KEY_ADMIN_ACTIONS,
        resources: ["*"],
        principals: [{ type: "AWS", identifiers: [root] }],
      },
      {
        sid: "VerifyThroughIam",
        actions: ["kms:GetPublicKey", "kms:Verify", "kms:DescribeKey"],
        resources: ["*"],
        principals: [{ type: "AWS", identifiers: [root] }],
      },
      {
        sid: "SignerRoleSigns",
        actions: ["kms:Sign", "kms:GetPublicKey", "kms:DescribeKey"],
        resources: ["*"],
        principals: [{ type: "AWS", identifiers: [signerRoleArn] }],
      },
      {
        sid: "NobodyElseSigns",
        effect: "Deny",
        actions: ["kms:Sign"],
        resources: ["*"],
        principals: [{ type: "*", identifiers: ["*"] }],
        conditions: [{ test: "ArnNotEquals", variable: "aws:PrincipalArn", values: [signerRoleArn] }],
      },
    ],
  }).json;
}

/** Logical names are part of the state: the release key keeps the names it had as the only signing key. */
function signer(kind: SignerKind, names: { role: string; key: string; alias: string; aliasName: string }) {
  const role = new aws.iam.Role(names.role, {
    name: `${$app.name}-${$app.stage}-${kind}`,
    description: `${$app.name} ${$app.stage}: the only principal that may sign with the ${kind} key`,
    assumeRolePolicy: signerTrust(kind),
    maxSessionDuration: 3600,
  });
  const key = new aws.kms.Key(
    names.key,
    {
      description: `${$app.name} ${$app.stage}: ${kind} signatures of template manifests`,
      customerMasterKeySpec: "ECC_NIST_P256",
      keyUsage: "SIGN_VERIFY",
      deletionWindowInDays: 30,
      policy: keyPolicy(role.arn),
    },
    // SST's "retain" removal covers tables and buckets only; a deleted signing key cannot come back.
    { retainOnDelete: permanent },
  );
  new aws.kms.Alias(names.alias, {
    name: `alias/${$app.name}-${$app.stage}-${names.aliasName}`,
    targetKeyId: key.keyId,
  });
  // The release role needs nothing but the key policy's grant; an identity policy makes it explicit.
  new aws.iam.RolePolicy(`${names.role}Signs`, {
    role: role.id,
    policy: aws.iam.getPolicyDocumentOutput({
      statements: [{ actions: ["kms:Sign", "kms:GetPublicKey", "kms:DescribeKey"], resources: [key.arn] }],
    }).json,
  });
  /** This key as a pinned-key list (`[{ keyId, publicKeyPem }]`). */
  const pinned = $jsonStringify([
    { keyId: key.arn, publicKeyPem: aws.kms.getPublicKeyOutput({ keyId: key.arn }).publicKeyPem },
  ]);
  return { role, key, pinned };
}

export const release = signer("release", {
  role: "ReleaseRole",
  key: "SigningKey",
  alias: "SigningKeyAlias",
  aliasName: "signing",
});
export const approver = signer("approver", {
  role: "ApproverRole",
  key: "ApproverKey",
  alias: "ApproverKeyAlias",
  aliasName: "approver",
});

/** The release key: the key the API verifies manifests against until keys are pinned explicitly. */
export const signingKey = release.key;
export const signingKeyPublic = release.pinned;
