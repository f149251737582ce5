import { timingSafeEqual } from "node:crypto";
import { Sha256 } from "@smithy/core/checksum";
import { SignatureV4 } from "@smithy/signature-v4";
import { SandboxError } from "../contract";

/** What the `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…` header says. */
export interface SigV4Header {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

export function parseAuthorization(header: string | undefined): SigV4Header {
  const match =
    header &&
    /^AWS4-HMAC-SHA256\s+Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request,\s*SignedHeaders=([^,]+),\s*Signature=([0-9a-f]{64})$/.exec(
      header.trim(),
    );
  if (!match) {
    throw new SandboxError(
      "MissingAuthenticationToken",
      "Request is missing Authentication Token (the sandbox accepts only SigV4-signed requests).",
      403,
    );
  }
  return {
    accessKeyId: match[1]!,
    date: match[2]!,
    region: match[3]!,
    service: match[4]!,
    signedHeaders: match[5]!.split(";"),
    signature: match[6]!,
  };
}

export interface IncomingSignedRequest {
  method: string;
  host: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * Recomputes the signature with the secret the sandbox issued and compares it, as AWS does. The
 * request time is not checked against the sandbox clock: a manual clock may be days ahead.
 */
export async function verifySignature(
  request: IncomingSignedRequest,
  auth: SigV4Header,
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string },
): Promise<void> {
  const headers: Record<string, string> = {};
  for (const name of auth.signedHeaders) {
    const value = request.headers[name];
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(",") : value;
  }
  const amzDate = headers["x-amz-date"];
  if (!amzDate) throw new SandboxError("IncompleteSignature", "x-amz-date must be signed.", 403);
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of request.query) {
    const existing = query[key];
    query[key] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  const signer = new SignatureV4({
    credentials,
    region: auth.region,
    service: auth.service,
    sha256: Sha256,
  });
  const [hostname, port] = request.host.split(":");
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: "http:",
      hostname: hostname ?? request.host,
      port: port ? Number(port) : undefined,
      path: request.path,
      query,
      headers,
      body: request.body,
    },
    { signingDate: parseAmzDate(amzDate), signingRegion: auth.region, signingService: auth.service },
  );
  const expected = /Signature=([0-9a-f]{64})/.exec(String(signed.headers.authorization ?? ""))?.[1] ?? "";
  if (
    expected.length !== auth.signature.length ||
    !timingSafeEqual(Buffer.from(expected), Buffer.from(auth.signature))
  ) {
    throw new SandboxError(
      "SignatureDoesNotMatch",
      "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.",
      403,
    );
  }
}

function parseAmzDate(value: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) throw new SandboxError("IncompleteSignature", `Invalid X-Amz-Date ${value}`, 403);
  return new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
}
