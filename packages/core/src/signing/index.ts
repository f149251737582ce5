export { KMS_MAX_RAW_MESSAGE, KmsSigner, type KmsSignerOptions } from "./kms";
export { PINNED_KEYS_ENV, type PinnedKey, parsePinnedKeys, pinnedKeyOf } from "./pinned";
export { p256PublicKey, type Signer, spkiFingerprint } from "./signer";
