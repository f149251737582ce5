import { CONFIG_ENV, StackfleetConfig } from "@stackfleet/core/config";
import { type PinnedKey, parsePinnedKeys } from "@stackfleet/core/signing/pinned";
import { APPROVER_KEYS_ENV, parseApproverKeys } from "@stackfleet/core/version/approval";
import * as z from "zod";
import { MAIN_TO_UPDATER, UPDATER_TO_MAIN } from "../deploy-plan";

/**
 * `stackfleet doctor`'s offline checks: the deploy environment and the outputs the last deploy
 * recorded. Pure (environment and outputs in, findings out), so every finding is tested as data;
 * the AWS checks (aws-checks.ts) only add what needs credentials.
 */

export type Status = "ok" | "warn" | "fail";
export interface Finding {
  check: string;
  status: Status;
  /** What is wrong (or what was verified), and for a problem, what to do about it. */
  detail: string;
}

export type Env = Record<string, string | undefined>;
export type Outputs = Record<string, unknown>;

const ok = (check: string, detail: string): Finding => ({ check, status: "ok", detail });
const warn = (check: string, detail: string): Finding => ({ check, status: "warn", detail });
const fail = (check: string, detail: string): Finding => ({ check, status: "fail", detail });

/** The stages whose removal is refused and whose data outlives the stack (sst.config.ts). */
export const isPermanent = (stage: string) => stage === "production";

const STAGE = /^[a-z][a-z0-9-]{0,40}$/;
const ARN = /^arn:[\w-]+:[\w-]+:[\w-]*:\d{0,12}:\S+$/;

export function stageName(stage: string): Finding {
  if (!STAGE.test(stage) || stage.endsWith("-updater"))
    return fail("stage", `"${stage}" is not a main stage name: lowercase, and without "-updater" (doctor checks both)`);
  return ok("stage", `main "${stage}", updater "${stage}-updater"${isPermanent(stage) ? " (permanent)" : ""}`);
}

/** The vendor's product settings every function gets (infra/config.ts productEnvironment). */
export function productSettings(env: Env): Finding {
  const given = Object.fromEntries(Object.entries(CONFIG_ENV).map(([key, name]) => [key, env[name]]));
  const { vendorName, product, stackPrefix } = StackfleetConfig.shape;
  const shape = z.object({ vendorName, product, stackPrefix });
  const parsed = shape.safeParse(given);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => {
      const key = String(i.path[0]) as keyof typeof CONFIG_ENV;
      return `${CONFIG_ENV[key]}: ${given[key] === undefined ? "is not set" : i.message}`;
    });
    return fail("product", `${problems.join("; ")} — export them before deploying (README, Configuration)`);
  }
  return ok(
    "product",
    `${parsed.data.vendorName}: product "${parsed.data.product}", stacks "${parsed.data.stackPrefix}-…"`,
  );
}

export function updaterAccount(env: Env): Finding {
  const account = env.STACKFLEET_UPDATER_ACCOUNT_ID;
  if (!account)
    return fail(
      "updater account",
      "STACKFLEET_UPDATER_ACCOUNT_ID is not set: the AWS account the updater stage deploys into",
    );
  if (!/^\d{12}$/.test(account))
    return fail("updater account", `STACKFLEET_UPDATER_ACCOUNT_ID "${account}" is not a 12-digit account id`);
  return ok("updater account", account);
}

export function identityProvider(env: Env): Finding {
  const names = ["STACKFLEET_JWT_ISSUER", "STACKFLEET_JWT_AUDIENCE", "STACKFLEET_JWKS_URL"];
  const missing = names.filter((n) => !env[n]);
  if (missing.length > 0)
    return fail("identity provider", `${missing.join(", ")} not set: the API accepts tokens only from your IdP`);
  if (!URL.canParse(env.STACKFLEET_JWKS_URL!) || !env.STACKFLEET_JWKS_URL!.startsWith("https://"))
    return fail("identity provider", `STACKFLEET_JWKS_URL "${env.STACKFLEET_JWKS_URL}" must be an https URL`);
  return ok("identity provider", `issuer ${env.STACKFLEET_JWT_ISSUER}, audience ${env.STACKFLEET_JWT_AUDIENCE}`);
}

/** Release keys the executor trusts, and approver keys distinct from them. */
export function pinnedKeys(env: Env, options: { trustMainKeys?: boolean } = {}): Finding[] {
  let release: PinnedKey[] | undefined;
  const findings: Finding[] = [];
  const json = env.STACKFLEET_PINNED_KEYS;
  if (!json) {
    findings.push(
      options.trustMainKeys
        ? warn(
            "release keys",
            "none pinned: --trust-main-keys pins the main stage's release key; review it in the plan",
          )
        : fail(
            "release keys",
            "STACKFLEET_PINNED_KEYS is not set: pin the release key(s) the executor trusts, or deploy with --trust-main-keys",
          ),
    );
  } else {
    try {
      release = parsePinnedKeys(json);
      findings.push(ok("release keys", `${release.length} pinned: ${release.map((k) => k.keyId).join(", ")}`));
    } catch (e) {
      findings.push(fail("release keys", `STACKFLEET_PINNED_KEYS: ${(e as Error).message}`));
    }
  }
  const approvers = env[APPROVER_KEYS_ENV];
  if (!approvers) {
    findings.push(
      warn(
        "approver keys",
        `${APPROVER_KEYS_ENV} not set: the main stage's approver key is pinned; a broadening version without its signature is refused`,
      ),
    );
  } else {
    try {
      const keys = parseApproverKeys(approvers, release ?? []);
      findings.push(ok("approver keys", `${keys.length} pinned, none of them a release key`));
    } catch (e) {
      findings.push(fail("approver keys", `${APPROVER_KEYS_ENV}: ${(e as Error).message}`));
    }
  }
  return findings;
}

/** The executor's floor must not be talked down on a permanent stage. */
export function executorFloor(stage: string, env: Env): Finding {
  const raw = env.STACKFLEET_MIN_GRACE_HOURS;
  const hours = raw === undefined ? 24 : Number(raw);
  if (!Number.isFinite(hours) || hours < 0)
    return fail("executor floor", `STACKFLEET_MIN_GRACE_HOURS "${raw}" is not a number of hours`);
  if (isPermanent(stage) && hours < 24)
    return fail(
      "executor floor",
      `STACKFLEET_MIN_GRACE_HOURS=${hours} on "${stage}": production keeps at least 24 h between announcement and execution`,
    );
  return ok("executor floor", `no execution sooner than ${hours} h after the updater first saw a version`);
}

/** Outputs one stage must have recorded for the other (deploy-plan.ts), and that they are wired alike. */
export function stageOutputs(stage: string, env: Env, recorded: { main?: Outputs; updater?: Outputs }): Finding[] {
  const findings: Finding[] = [];
  const expect = (which: "main" | "updater", names: readonly string[], optional: readonly string[]) => {
    const outputs = recorded[which];
    const target = which === "main" ? stage : `${stage}-updater`;
    if (!outputs) {
      findings.push(
        fail(
          `${which} outputs`,
          `no recorded outputs for "${target}": deploy with \`npm run deploy -- --stage ${stage}\` (it records them in .stackfleet/deploy/)`,
        ),
      );
      return;
    }
    const missing = names.filter((n) => !optional.includes(n) && (outputs[n] === undefined || outputs[n] === ""));
    const malformed = names.filter(
      (n) =>
        n.endsWith("_ARN") && typeof outputs[n] === "string" && outputs[n] !== "" && !ARN.test(outputs[n] as string),
    );
    if (missing.length > 0)
      findings.push(fail(`${which} outputs`, `"${target}" did not output ${missing.join(", ")}: redeploy it`));
    else if (malformed.length > 0)
      findings.push(fail(`${which} outputs`, `malformed ARNs from "${target}": ${malformed.join(", ")}`));
    else
      findings.push(ok(`${which} outputs`, `"${target}" recorded ${names.filter((n) => outputs[n]).length} outputs`));
  };
  expect("main", MAIN_TO_UPDATER, [
    "STACKFLEET_NOTIFICATION_TOPIC_ARN",
    "STACKFLEET_PINNED_APPROVER_KEYS",
    "STACKFLEET_MAIN_API_ROLE_ARN",
  ]);
  expect("updater", UPDATER_TO_MAIN, ["STACKFLEET_SCHEDULE_WRITER_ROLE_ARN"]);
  const executor = recorded.updater?.STACKFLEET_EXECUTOR_ROLE_ARN;
  if (typeof executor === "string" && env.STACKFLEET_UPDATER_ACCOUNT_ID) {
    const account = executor.split(":")[4];
    findings.push(
      account === env.STACKFLEET_UPDATER_ACCOUNT_ID
        ? ok("updater placement", `the executor lives in ${account}, the account customers' templates trust`)
        : fail(
            "updater placement",
            `the executor role is in ${account} but STACKFLEET_UPDATER_ACCOUNT_ID is ${env.STACKFLEET_UPDATER_ACCOUNT_ID}: customer templates would trust the wrong account`,
          ),
    );
  }
  return findings;
}

/** Everything doctor can tell without AWS credentials. */
export function offlineChecks(
  stage: string,
  env: Env,
  recorded: { main?: Outputs; updater?: Outputs } | undefined,
  options: { trustMainKeys?: boolean } = {},
): Finding[] {
  const findings = [
    stageName(stage),
    productSettings(env),
    updaterAccount(env),
    identityProvider(env),
    ...pinnedKeys(env, options),
    executorFloor(stage, env),
  ];
  if (recorded) findings.push(...stageOutputs(stage, env, recorded));
  return findings;
}
