import { permanent } from "./config";

/**
 * Signs release manifests (ECDSA_SHA_256, RAW messages ≤ 4,096 bytes). Only its public half leaves
 * AWS: the executor verifies against keys pinned in its configuration. Asymmetric keys cannot
 * rotate automatically; rotation is a new key plus a pinned-key update, so old keys are kept.
 */
export const signingKey = new aws.kms.Key(
  "SigningKey",
  {
    description: `${$app.name} ${$app.stage}: signs template release manifests`,
    customerMasterKeySpec: "ECC_NIST_P256",
    keyUsage: "SIGN_VERIFY",
    deletionWindowInDays: 30,
  },
  // SST's "retain" removal covers tables and buckets only; a deleted signing key cannot come back.
  { retainOnDelete: permanent },
);

export const signingKeyAlias = new aws.kms.Alias("SigningKeyAlias", {
  name: `alias/${$app.name}-${$app.stage}-signing`,
  targetKeyId: signingKey.keyId,
});

/** This key as a pinned-key list (`[{ keyId, publicKeyPem }]`), the key id being what the API signs with. */
export const signingKeyPublic = $jsonStringify([
  {
    keyId: signingKey.arn,
    publicKeyPem: aws.kms.getPublicKeyOutput({ keyId: signingKey.arn }).publicKeyPem,
  },
]);
