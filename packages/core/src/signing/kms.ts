import { GetPublicKeyCommand, type KMSClient, SignCommand } from "@aws-sdk/client-kms";
import { inputError, StackfleetError } from "../error";
import { p256PublicKey, type Signer, spkiPem } from "./signer";

/** KMS signs RAW messages up to this size; larger ones would have to be sent as a digest. */
export const KMS_MAX_RAW_MESSAGE = 4096;

export type KmsSignerOptions = {
  client: KMSClient;
  /**
   * The key's ARN (preferred) or key id. It becomes the manifest's key id and must match the
   * pinned key's id, so use the same stable form in both places; an alias would follow
   * re-pointing, which is exactly what pinning is meant to stop.
   */
  keyId: string;
};

/** Signs through an `ECC_NIST_P256` / `SIGN_VERIFY` KMS key with `ECDSA_SHA_256` over RAW messages. */
export class KmsSigner implements Signer {
  readonly keyId: string;
  private readonly client: KMSClient;
  private cachedPublicKey: Promise<string> | undefined;

  constructor(options: KmsSignerOptions) {
    this.client = options.client;
    this.keyId = options.keyId;
  }

  async sign(message: Uint8Array): Promise<Uint8Array> {
    if (message.length > KMS_MAX_RAW_MESSAGE) {
      throw inputError("manifest_oversize", `KMS signs RAW messages up to ${KMS_MAX_RAW_MESSAGE} bytes`);
    }
    const response = await this.client.send(
      new SignCommand({ KeyId: this.keyId, Message: message, MessageType: "RAW", SigningAlgorithm: "ECDSA_SHA_256" }),
    );
    if (!response.Signature || response.Signature.length === 0) {
      throw new StackfleetError("unavailable", "kms_no_signature", "KMS Sign returned no signature");
    }
    return response.Signature;
  }

  /** Fetched once per signer: the key material of a KMS key never changes. */
  publicKey(): Promise<string> {
    this.cachedPublicKey ??= this.fetchPublicKey().catch((e: unknown) => {
      this.cachedPublicKey = undefined;
      throw e;
    });
    return this.cachedPublicKey;
  }

  private async fetchPublicKey(): Promise<string> {
    const response = await this.client.send(new GetPublicKeyCommand({ KeyId: this.keyId }));
    if (response.KeySpec !== "ECC_NIST_P256" || response.KeyUsage !== "SIGN_VERIFY") {
      throw inputError(
        "kms_key_unsuitable",
        `KMS key ${this.keyId} must be ECC_NIST_P256 with SIGN_VERIFY usage (got ${response.KeySpec}/${response.KeyUsage})`,
      );
    }
    if (!response.SigningAlgorithms?.includes("ECDSA_SHA_256")) {
      throw inputError("kms_key_unsuitable", `KMS key ${this.keyId} does not support ECDSA_SHA_256`);
    }
    if (!response.PublicKey)
      throw new StackfleetError("unavailable", "kms_no_public_key", "KMS returned no public key");
    return spkiPem(p256PublicKey(response.PublicKey));
  }
}
