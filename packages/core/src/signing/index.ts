export { type Signer, p256PublicKey, spkiFingerprint } from "./signer";
export { LocalKeySigner, createLocalSigner, loadOrCreateLocalKey } from "./local";
export { KmsSigner, KMS_MAX_RAW_MESSAGE, type KmsSignerOptions } from "./kms";
export { type PinnedKey, PINNED_KEYS_ENV, parsePinnedKeys, pinnedKeysFromEnv, pinnedKeyOf } from "./pinned";
