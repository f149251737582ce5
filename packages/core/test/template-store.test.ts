import { createHash } from "node:crypto";
import { GetObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { S3TemplateStore } from "../src/template-store/s3";
import { encode } from "./support/release";

const bytes = encode("Resources:\n  B:\n    Type: AWS::S3::Bucket\n");
const sha256 = createHash("sha256").update(bytes).digest("hex");

describe("S3TemplateStore", () => {
  const s3 = mockClient(S3Client);
  beforeEach(() => s3.reset());
  afterEach(() => s3.reset());
  const store = new S3TemplateStore({
    client: new S3Client({ region: "us-east-1" }),
    bucket: "templates-bucket",
    prefix: "templates/",
  });

  it("puts the bytes once, content-addressed, with S3 checking their SHA-256", async () => {
    s3.on(PutObjectCommand).resolves({});
    const stored = await store.put(bytes);
    expect(stored).toEqual({ sha256, location: `s3://templates-bucket/templates/${sha256}` });
    expect(s3.commandCalls(PutObjectCommand)[0]!.args[0].input).toEqual({
      Bucket: "templates-bucket",
      Key: `templates/${sha256}`,
      Body: bytes,
      ContentType: "application/octet-stream",
      ChecksumSHA256: createHash("sha256").update(bytes).digest("base64"),
      IfNoneMatch: "*",
    });
  });

  it("treats an existing object (412 from IfNoneMatch) as already stored", async () => {
    s3.on(PutObjectCommand).rejects(
      new S3ServiceException({
        name: "PreconditionFailed",
        $fault: "client",
        $metadata: { httpStatusCode: 412 },
        message: "At least one of the pre-conditions you specified did not hold",
      }),
    );
    expect((await store.put(bytes)).sha256).toBe(sha256);
  });

  it("passes other failures on", async () => {
    s3.on(PutObjectCommand).rejects(
      new S3ServiceException({
        name: "AccessDenied",
        $fault: "client",
        $metadata: { httpStatusCode: 403 },
        message: "Access Denied",
      }),
    );
    await expect(store.put(bytes)).rejects.toMatchObject({ name: "AccessDenied" });
  });

  it("gets the object's exact bytes, asking S3 to validate its checksum", async () => {
    s3.on(GetObjectCommand).resolves({ Body: { transformToByteArray: async () => bytes } as never });
    expect(await store.get(sha256)).toEqual(bytes);
    expect(s3.commandCalls(GetObjectCommand)[0]!.args[0].input).toEqual({
      Bucket: "templates-bucket",
      Key: `templates/${sha256}`,
      ChecksumMode: "ENABLED",
    });
  });

  it("reports a missing object as not found", async () => {
    s3.on(GetObjectCommand).rejects(
      new S3ServiceException({
        name: "NoSuchKey",
        $fault: "client",
        $metadata: { httpStatusCode: 404 },
        message: "The specified key does not exist.",
      }),
    );
    await expect(store.get(sha256)).rejects.toMatchObject({ kind: "not_found", code: "template_not_found" });
    await expect(store.get("nope")).rejects.toMatchObject({ code: "sha256_invalid" });
  });
});
