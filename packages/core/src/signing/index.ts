export { KMS_MAX_RAW_MESSAGE, KmsSigner, type KmsSignerOptions } from "./kms";
export { createLocalSigner, LocalKeySigner, loadOrCreateLocalKey } from "./local";
export { PINNED_KEYS_ENV, type PinnedKey, parsePinnedKeys, pinnedKeyOf, pinnedKeysFromEnv } from "./pinned";
export { p256PublicKey, type Signer, spkiFingerprint } from "./signer";
