import { AssumeRoleCommand, type STSClient } from "@aws-sdk/client-sts";

export type AssumeOutcome =
  | { kind: "assumed" }
  | { kind: "denied"; message: string }
  | { kind: "error"; message: string };

/** One AssumeRole attempt, classified. The credentials are never kept: this only proves trust. */
export interface AssumeProbe {
  tryAssume(roleArn: string, externalId: string | undefined, sessionName: string): Promise<AssumeOutcome>;
}

export function stsAssumeProbe(sts: STSClient): AssumeProbe {
  return {
    async tryAssume(roleArn, externalId, sessionName) {
      try {
        await sts.send(
          new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: sessionName, ExternalId: externalId, DurationSeconds: 900 }),
        );
        return { kind: "assumed" };
      } catch (e) {
        const error = e as { name?: string; message?: string };
        if (error.name === "AccessDenied" || error.name === "AccessDeniedException") {
          return { kind: "denied", message: error.message ?? "AccessDenied" };
        }
        return { kind: "error", message: `${error.name ?? "Error"}: ${error.message ?? "unknown"}` };
      }
    },
  };
}

export type TrustProof =
  | { trusted: true }
  | { trusted: false; code: "assume_denied" | "external_id_not_enforced" | "probe_failed"; message: string };

export interface ProofOptions {
  /** IAM is eventually consistent: a just-created role may refuse for a few seconds. */
  attempts?: number;
  sleep?: (ms: number) => Promise<void>;
  backoffMs?: number;
}

/**
 * AWS's own advice for a role handed over by a customer: assuming it WITH the ExternalId must work
 * and WITHOUT it must fail — a trust policy lacking the condition accepts any ExternalId, so only
 * the negative test proves the condition is there.
 */
export async function proveTrust(
  probe: AssumeProbe,
  roleArn: string,
  externalId: string,
  sessionName: string,
  options: ProofOptions = {},
): Promise<TrustProof> {
  const attempts = options.attempts ?? 5;
  const sleep = options.sleep ?? ((ms) => new Promise<void>((done) => setTimeout(done, ms)));
  let outcome: AssumeOutcome = { kind: "error", message: "not attempted" };
  for (let attempt = 1; attempt <= attempts; attempt++) {
    outcome = await probe.tryAssume(roleArn, externalId, sessionName);
    if (outcome.kind === "assumed") break;
    if (attempt < attempts) await sleep((options.backoffMs ?? 1_000) * attempt);
  }
  if (outcome.kind === "denied") {
    return { trusted: false, code: "assume_denied", message: `AssumeRole with the ExternalId was denied: ${outcome.message}` };
  }
  if (outcome.kind === "error") return { trusted: false, code: "probe_failed", message: outcome.message };

  const without = await probe.tryAssume(roleArn, undefined, sessionName);
  if (without.kind === "assumed") {
    return {
      trusted: false,
      code: "external_id_not_enforced",
      message: "The role can be assumed without the ExternalId: its trust policy must require sts:ExternalId",
    };
  }
  if (without.kind === "error") return { trusted: false, code: "probe_failed", message: without.message };
  return { trusted: true };
}
