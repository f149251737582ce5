import type { S3Client } from "@aws-sdk/client-s3";
import { notFound } from "../error";
import { assertSha256, sha256Hex, type TemplateStore } from "./template-store";

export type S3TemplateStoreOptions = {
  client: S3Client;
  bucket: string;
  /** Key prefix, e.g. "templates"; objects are `<prefix>/<sha256>`. */
  prefix?: string;
};

/** The template bucket: objects keyed by SHA-256, written once, never overwritten. */
export class S3TemplateStore implements TemplateStore {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;

  constructor(options: S3TemplateStoreOptions) {
    this.client = options.client;
    this.bucket = options.bucket;
    this.prefix = (options.prefix ?? "").replace(/^\/+|\/+$/g, "");
  }

  private key(sha256: string) {
    return this.prefix ? `${this.prefix}/${sha256}` : sha256;
  }

  async put(bytes: Uint8Array): Promise<{ sha256: string; location: string }> {
    const sha256 = sha256Hex(bytes);
    const key = this.key(sha256);
    const { PutObjectCommand } = await import("@aws-sdk/client-s3");
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: bytes,
          ContentType: "application/octet-stream",
          // S3 rejects the upload if what arrived does not hash to this.
          ChecksumSHA256: Buffer.from(sha256, "hex").toString("base64"),
          // Content-addressed: an existing object already holds these exact bytes.
          IfNoneMatch: "*",
        }),
      );
    } catch (e) {
      if (!isAlreadyStored(e)) throw e;
    }
    return { sha256, location: `s3://${this.bucket}/${key}` };
  }

  async get(sha256: string): Promise<Uint8Array> {
    assertSha256(sha256);
    // The command classes load with the package, on first use (see aws/lazy-client.ts).
    const { GetObjectCommand } = await import("@aws-sdk/client-s3");
    try {
      const response = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.key(sha256), ChecksumMode: "ENABLED" }),
      );
      if (!response.Body) throw notFound("template_not_found", `No template stored under ${sha256}`);
      return await response.Body.transformToByteArray();
    } catch (e) {
      if ((e as { name?: string }).name === "NoSuchKey")
        throw notFound("template_not_found", `No template stored under ${sha256}`);
      throw e;
    }
  }
}

/** `IfNoneMatch: "*"` on an existing key fails with 412 PreconditionFailed. */
function isAlreadyStored(e: unknown): boolean {
  const error = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return error.name === "PreconditionFailed" || error.$metadata?.httpStatusCode === 412;
}
