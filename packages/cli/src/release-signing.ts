import { KMSClient } from "@aws-sdk/client-kms";
import { DEFAULT_GRACE_POLICY } from "@stackfleet/core/changelog";
import { isStackfleetError } from "@stackfleet/core/error";
import { KmsSigner, type Signer } from "@stackfleet/core/signing";
import { type ReleaseBase, signRelease } from "@stackfleet/core/version/release-tool";
import { readLocalSigner } from "@stackfleet/local/dev/signer";
import type { ApiClient } from "./api-client";
import { CliError, ExitCode, usageError } from "./errors";
import { type Page, type Plan, type Version, versionPath } from "./views";

/** Where a signature comes from: a P-256 key file (PKCS#8 PEM, 0600) or an asymmetric KMS key. */
export interface KeyOptions {
  keyFile?: string;
  kmsKey?: string;
}

/** The signer the flags name, or undefined when none is named. */
export async function signerFrom(o: KeyOptions): Promise<Signer | undefined> {
  if (o.keyFile && o.kmsKey) throw usageError("pass either --key-file or --kms-key, not both");
  if (o.kmsKey) {
    // The ARN is the key id the pins name; credentials and Region come from the usual AWS chain.
    const region = /^arn:[\w-]+:kms:([\w-]+):/.exec(o.kmsKey)?.[1];
    return new KmsSigner({ client: new KMSClient(region ? { region } : {}), keyId: o.kmsKey });
  }
  if (!o.keyFile) return undefined;
  try {
    return await readLocalSigner(o.keyFile);
  } catch (e) {
    throw new CliError(ExitCode.failure, `${o.keyFile}: ${(e as Error).message}`);
  }
}

type VersionDetail = Version & {
  sequence: number;
  manifest: { product: string; stackPrefix: string };
  signed: { manifest: string; signature: string; keyId: string };
};
export type Published = VersionDetail & { plan: Plan | null };

export interface SignedReleaseOptions {
  version: string;
  minFrom?: string;
  param?: string[];
  grace?: number;
  lifetimeDays: number;
  product?: string;
  stackPrefix?: string;
}

/**
 * The release tool: reads the latest publication and the newest verified template from the API,
 * computes the changelog and the broadening verdict, signs the canonical manifest with the release
 * key here (never on the server), and uploads bytes + manifest + signature.
 */
export async function releaseSigned(
  api: ApiClient,
  signer: Signer,
  templateBytes: Uint8Array,
  o: SignedReleaseOptions,
): Promise<Published> {
  const { items } = await api.request<Page<VersionDetail>>("GET", "/v1/versions", { query: { limit: 20 } });
  const latest = items[0] ? await api.request<VersionDetail>("GET", versionPath(items[0].version)) : undefined;
  const product = o.product ?? latest?.manifest.product;
  const stackPrefix = o.stackPrefix ?? latest?.manifest.stackPrefix;
  if (!product || !stackPrefix) {
    throw usageError(
      "the first release names its product and stack prefix",
      "add --product NAME --stack-prefix PREFIX",
    );
  }
  let signed: Awaited<ReturnType<typeof signRelease>>;
  try {
    signed = await signRelease(
      {
        templateBytes,
        version: o.version,
        product,
        stackPrefix,
        latest: latest ? { version: latest.version, sequence: latest.sequence } : null,
        base: await verifiedBase(api, items),
        minFromVersion: o.minFrom ?? null,
        parameters: o.param,
        graceHours: o.grace,
        policy: DEFAULT_GRACE_POLICY,
        lifetimeDays: o.lifetimeDays,
        now: await serverTime(api),
      },
      signer,
    );
  } catch (e) {
    if (isStackfleetError(e)) throw new CliError(ExitCode.failure, `${e.code}: ${e.message}`);
    throw e;
  }
  const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");
  return api.request<Published>("POST", "/v1/versions", {
    body: {
      template: b64(templateBytes),
      manifest: b64(signed.manifestBytes),
      signature: b64(signed.signature),
      keyId: signed.keyId,
    },
  });
}

/**
 * The API's clock, which judges issuedAt and the grace: locally it may be the sandbox's manual
 * clock (`npm start --clock manual`), far from this machine's.
 */
async function serverTime(api: ApiClient): Promise<Date> {
  const { time } = await api.request<{ time?: string }>("GET", "/health");
  const at = time ? new Date(time) : new Date();
  return Number.isNaN(at.getTime()) ? new Date() : at;
}

/** The changelog base, as the API computes it: the newest version whose bytes still verify. */
async function verifiedBase(api: ApiClient, newestFirst: Version[]): Promise<ReleaseBase | null> {
  for (const { version } of newestFirst) {
    try {
      const response = await api.requestRaw("GET", `${versionPath(version)}/template`, { query: { format: "raw" } });
      return { version, templateBytes: new Uint8Array(await response.arrayBuffer()) };
    } catch (e) {
      // Quarantined (409) or its bytes gone (404): not a base, as on the server.
      if (!(e instanceof CliError && /→ (404|409) /.test(e.message))) throw e;
    }
  }
  return null;
}

/** The approver's second signature over the version's exact stored manifest bytes. */
export async function approveSigned(api: ApiClient, signer: Signer, version: string) {
  const detail = await api.request<VersionDetail>("GET", versionPath(version));
  const signature = await signer.sign(Buffer.from(detail.signed.manifest, "base64"));
  return api.request<Version & { plan: Plan | null }>("POST", `${versionPath(version)}/approve`, {
    body: { keyId: signer.keyId, signature: Buffer.from(signature).toString("base64") },
  });
}
