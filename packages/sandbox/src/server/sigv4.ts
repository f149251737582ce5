import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { SandboxError } from "../contract";

/**
 * SigV4 verification written from AWS's specification rather than with an SDK signer: the SDK's
 * signer canonicalises the way the JS SDK sends requests, while the sandbox must accept whatever
 * botocore (the AWS CLI) and `curl --aws-sigv4` send — no `x-amz-content-sha256`, repeated headers,
 * unsorted or oddly encoded query strings.
 */

/** What the `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…` header says. */
export interface SigV4Header {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

const MISSING = "Request is missing Authentication Token (the sandbox accepts only SigV4-signed requests).";

export function parseAuthorization(header: string | undefined): SigV4Header {
  const match = header && /^AWS4-HMAC-SHA256\s+(.+)$/.exec(header.trim());
  if (!match) throw new SandboxError("MissingAuthenticationToken", MISSING, 403);
  const parts = new Map<string, string>();
  for (const part of match[1]!.split(",")) {
    const eq = part.indexOf("=");
    if (eq > 0) parts.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const scope = /^([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request$/.exec(parts.get("Credential") ?? "");
  const signedHeaders = parts.get("SignedHeaders");
  const signature = parts.get("Signature");
  if (!scope || !signedHeaders || !signature || !/^[0-9a-f]{64}$/.test(signature)) {
    throw new SandboxError(
      "IncompleteSignature",
      "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters.",
      403,
    );
  }
  return {
    accessKeyId: scope[1]!,
    date: scope[2]!,
    region: scope[3]!,
    service: scope[4]!,
    signedHeaders: signedHeaders.split(";"),
    signature,
  };
}

/** The request exactly as it arrived: raw path and query, every header line, the body's bytes. */
export interface IncomingSignedRequest {
  method: string;
  /** The request target up to `?`, still percent-encoded. */
  rawPath: string;
  /** After `?`, still percent-encoded ("" when there is none). */
  rawQuery: string;
  /** Node's `req.rawHeaders`: name, value, name, value… with repeats kept. */
  rawHeaders: string[];
  body: Buffer;
}

/**
 * Recomputes the signature with the secret the sandbox issued and compares it, as AWS does. The
 * request time is not checked against the sandbox clock: a manual clock may be days ahead.
 */
export function verifySignature(request: IncomingSignedRequest, auth: SigV4Header, secretAccessKey: string): void {
  const headers = headerValues(request.rawHeaders);
  if (!auth.signedHeaders.includes("host")) {
    throw new SandboxError("SignatureDoesNotMatch", "'Host' must be a signed header.", 403);
  }
  const requestDate = headers.get("x-amz-date") ?? amzDateFromHttpDate(headers.get("date"));
  if (!requestDate || !/^\d{8}T\d{6}Z$/.test(requestDate)) {
    throw new SandboxError("IncompleteSignature", "A signed X-Amz-Date (or Date) header is required.", 403);
  }
  if (!auth.signedHeaders.includes(headers.has("x-amz-date") ? "x-amz-date" : "date")) {
    throw new SandboxError("IncompleteSignature", "The request date header must be signed.", 403);
  }
  if (requestDate.slice(0, 8) !== auth.date) {
    throw new SandboxError(
      "SignatureDoesNotMatch",
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${auth.date}' != '${requestDate.slice(0, 8)}'`,
      403,
    );
  }
  const payloadHash = sha256Hex(request.body);
  const declared = headers.get("x-amz-content-sha256");
  if (declared !== undefined && declared !== payloadHash) {
    throw new SandboxError(
      "XAmzContentSHA256Mismatch",
      "The provided 'x-amz-content-sha256' header does not match what was computed.",
      400,
    );
  }
  const scope = `${auth.date}/${auth.region}/${auth.service}/aws4_request`;
  const stringToSign = [
    "AWS4-HMAC-SHA256",
    requestDate,
    scope,
    sha256Hex(canonicalRequest(request, headers, auth.signedHeaders, payloadHash)),
  ].join("\n");
  const expected = hmac(signingKey(secretAccessKey, auth), stringToSign).toString("hex");
  if (!timingSafeEqual(Buffer.from(expected), Buffer.from(auth.signature))) {
    throw new SandboxError(
      "SignatureDoesNotMatch",
      "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.",
      403,
    );
  }
}

export function canonicalRequest(
  request: IncomingSignedRequest,
  headers: Map<string, string>,
  signedHeaders: string[],
  payloadHash: string,
): string {
  return [
    request.method.toUpperCase(),
    canonicalUri(request.rawPath),
    canonicalQuery(request.rawQuery),
    signedHeaders.map((name) => `${name}:${headers.get(name) ?? ""}\n`).join(""),
    signedHeaders.join(";"),
    payloadHash,
  ].join("\n");
}

/**
 * Header name → canonical value: values trimmed, inner runs of spaces folded to one, and a header
 * sent on several lines joined with commas in the order received.
 */
export function headerValues(rawHeaders: string[]): Map<string, string> {
  const values = new Map<string, string[]>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    const value = rawHeaders[i + 1]!.trim().replace(/\s+/g, " ");
    values.set(name, [...(values.get(name) ?? []), value]);
  }
  return new Map([...values].map(([name, list]) => [name, list.join(",")]));
}

/** Every service but S3 signs the path encoded twice: once on the wire, once more here. */
export function canonicalUri(rawPath: string): string {
  const segments: string[] = [];
  for (const segment of rawPath.split("/").slice(1)) {
    if (segment === ".") continue;
    if (segment === "..") segments.pop();
    else segments.push(segment);
  }
  return `/${segments.map(uriEncode).join("/")}`;
}

/** Parameters decoded, re-encoded strictly (RFC 3986, `%XX` upper case), sorted by name then value. */
export function canonicalQuery(rawQuery: string): string {
  return rawQuery
    .split("&")
    .filter((pair) => pair !== "")
    .map((pair) => {
      const eq = pair.indexOf("=");
      const name = eq < 0 ? pair : pair.slice(0, eq);
      const value = eq < 0 ? "" : pair.slice(eq + 1);
      return [uriEncode(percentDecode(name)), uriEncode(percentDecode(value))] as const;
    })
    .sort(([an, av], [bn, bv]) => compare(an, bn) || compare(av, bv))
    .map(([name, value]) => `${name}=${value}`)
    .join("&");
}

/** AWS's UriEncode: every byte but `A-Za-z0-9-_.~` as `%XX`. */
export function uriEncode(text: string): string {
  let out = "";
  for (const byte of Buffer.from(text, "utf8")) {
    const char = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-_.~]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

// `+` stays a plus: SigV4 signs the query as sent, it is not form decoding.
function percentDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function amzDateFromHttpDate(value: string | undefined): string | undefined {
  const time = value ? Date.parse(value) : Number.NaN;
  return Number.isNaN(time) ? undefined : new Date(time).toISOString().replace(/[-:]|\.\d{3}/g, "");
}

function signingKey(secret: string, auth: SigV4Header): Buffer {
  const date = hmac(`AWS4${secret}`, auth.date);
  return hmac(hmac(hmac(date, auth.region), auth.service), "aws4_request");
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac("sha256", key).update(data, "utf8").digest();
}

function sha256Hex(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}
