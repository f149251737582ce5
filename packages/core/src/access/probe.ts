import type { CloudFormationClientConfig } from "@aws-sdk/client-cloudformation";
import type { STSClient } from "@aws-sdk/client-sts";
import { isStackfleetError } from "../error";
import { assumeRole } from "./assume";
import { type LiveStackOutcome, type LiveStackRequest, readLiveStack } from "./live-stack";

export type AssumeOutcome =
  | { kind: "assumed" }
  | { kind: "denied"; message: string }
  | { kind: "error"; message: string };

/**
 * The vendor's read-only view into a customer account through the integration role: one AssumeRole
 * attempt, classified (credentials never kept: this only proves trust), and the live stack a
 * callback's claim is checked against.
 */
export interface AssumeProbe {
  tryAssume(roleArn: string, externalId: string | undefined, sessionName: string): Promise<AssumeOutcome>;
  readStack(request: LiveStackRequest): Promise<LiveStackOutcome>;
}

/** `cloudFormation` only points the client elsewhere (the sandbox locally); in AWS it stays empty. */
export function stsAssumeProbe(sts: STSClient, cloudFormation: Partial<CloudFormationClientConfig> = {}): AssumeProbe {
  return {
    readStack: (request) => readLiveStack(sts, cloudFormation, request),
    async tryAssume(roleArn, externalId, sessionName) {
      try {
        await assumeRole(sts, { roleArn, externalId, sessionName });
        return { kind: "assumed" };
      } catch (e) {
        if (isStackfleetError(e, "forbidden")) return { kind: "denied", message: e.message };
        if (isStackfleetError(e)) return { kind: "error", message: e.message };
        throw e;
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
    return {
      trusted: false,
      code: "assume_denied",
      message: `AssumeRole with the ExternalId was denied: ${outcome.message}`,
    };
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
