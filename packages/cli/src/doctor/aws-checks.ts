import { createPublicKey } from "node:crypto";
import { GetPublicKeyCommand, type KMSClient } from "@aws-sdk/client-kms";
import { GetFunctionConfigurationCommand, type LambdaClient } from "@aws-sdk/client-lambda";
import { ApiConfig, ExecutorConfig, fromEnv } from "@stackfleet/core/config";
import { parsePinnedKeys } from "@stackfleet/core/signing/pinned";
import { p256PublicKey, spkiFingerprint } from "@stackfleet/core/signing/signer";
import { type Env, type Finding, isPermanent, type Outputs } from "./checks";

/**
 * `stackfleet doctor`'s checks against the deployed stages (needs credentials for both accounts):
 * what the functions were really given, and whether the release key is one the executor trusts.
 * Clients are injected: one pair per account.
 */
export interface AwsClients {
  main: { kms: KMSClient; lambda: LambdaClient };
  updater: { lambda: LambdaClient };
  fetch: typeof fetch;
}

const ok = (check: string, detail: string): Finding => ({ check, status: "ok", detail });
const fail = (check: string, detail: string): Finding => ({ check, status: "fail", detail });
const str = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);

async function environmentOf(lambda: LambdaClient, name: string): Promise<Env> {
  const config = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
  return config.Environment?.Variables ?? {};
}

/** A config reader's complaint, without its preamble. */
const problems = (e: unknown) => String((e as Error).message).replace(/^Stackfleet configuration is invalid: /, "");

export async function awsChecks(
  stage: string,
  recorded: { main: Outputs; updater: Outputs },
  clients: AwsClients,
): Promise<Finding[]> {
  const findings: Finding[] = [];
  const attempt = async (check: string, run: () => Promise<Finding>) => {
    try {
      findings.push(await run());
    } catch (e) {
      const name = (e as Error).name;
      findings.push(
        fail(check, `could not check (${name}: ${(e as Error).message}); are the credentials for that account set?`),
      );
    }
  };

  let executorEnv: Env | undefined;
  await attempt("executor configuration", async () => {
    const executor = str(recorded.updater.STACKFLEET_EXECUTOR_ARN);
    if (!executor) return fail("executor configuration", "the updater recorded no STACKFLEET_EXECUTOR_ARN");
    executorEnv = await environmentOf(clients.updater.lambda, executor);
    try {
      const floor = fromEnv(ExecutorConfig, executorEnv).floor.minGraceHours;
      if (isPermanent(stage) && floor < 24)
        return fail(
          "executor configuration",
          `minimum grace is ${floor} h on "${stage}"; set STACKFLEET_MIN_GRACE_HOURS ≥ 24 and redeploy the updater`,
        );
      return ok("executor configuration", "the deployed executor's environment is complete and valid");
    } catch (e) {
      return fail("executor configuration", `the deployed executor would not start: ${problems(e)}`);
    }
  });

  await attempt("api configuration", async () => {
    const env = await environmentOf(clients.main.lambda, `stackfleet-${stage}-api`);
    if (env.STACKFLEET_SIGNING_KEY_ARN)
      return fail(
        "api configuration",
        "the API is given a signing key (STACKFLEET_SIGNING_KEY_ARN): it must only verify; redeploy the main stage from this version",
      );
    try {
      fromEnv(ApiConfig, env);
      return ok("api configuration", "the deployed API's environment is complete and valid, with no signing key");
    } catch (e) {
      return fail("api configuration", `the deployed API would not start: ${problems(e)}`);
    }
  });

  await attempt("release key pinned", async () => {
    const keyArn = str(recorded.main.STACKFLEET_RELEASE_KEY_ARN);
    const pinned = str(executorEnv?.STACKFLEET_PINNED_KEYS);
    if (!keyArn || !pinned)
      return fail(
        "release key pinned",
        "cannot compare: the release key ARN or the executor's pinned keys are missing",
      );
    const { PublicKey } = await clients.main.kms.send(new GetPublicKeyCommand({ KeyId: keyArn }));
    if (!PublicKey) return fail("release key pinned", `KMS returned no public key for ${keyArn}`);
    const release = spkiFingerprint(createPublicKey({ key: Buffer.from(PublicKey), format: "der", type: "spki" }));
    const trusted = parsePinnedKeys(pinned).map((k) => spkiFingerprint(p256PublicKey(k.publicKeyPem)));
    return trusted.includes(release)
      ? ok("release key pinned", "the executor trusts the main stage's release key")
      : fail(
          "release key pinned",
          "the executor does not trust the release key: every release would be refused. Pin its public key (STACKFLEET_PINNED_KEYS) and redeploy the updater",
        );
  });

  await attempt("api health", async () => {
    const base = str(recorded.main.STACKFLEET_API_BASE_URL);
    if (!base) return fail("api health", "the main stage recorded no STACKFLEET_API_BASE_URL");
    const res = await clients.fetch(new URL("/health", base));
    const body = (await res.json().catch(() => ({}))) as { store?: { reachable?: boolean } };
    return res.ok && body.store?.reachable !== false
      ? ok("api health", `${base} answers and reaches its table`)
      : fail("api health", `${base}/health answered ${res.status}: look at the API's logs`);
  });
  return findings;
}
