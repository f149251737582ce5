import { CONFIG_ENV, StackfleetConfig } from "@stackfleet/core/config";
import { PINNED_KEYS_ENV, parsePinnedKeys } from "@stackfleet/core/signing/pinned";

/**
 * Deploy-time settings read from the environment of `sst deploy`.
 *
 * The two stages may live in different AWS accounts, so neither can look the other up: each
 * stage's outputs are named after the variable the other stage reads (`sst deploy` writes them to
 * `.sst/outputs.json`). Anything a function would reject at cold start is rejected here, before
 * any change is made, with the function's own validation.
 */

type Input = $util.Input<string>;

/** `app()` retains stateful resources only on permanent stages (see sst.config.ts). */
export const permanent = $app.removal !== "remove";

export function required(name: string): string {
  const value = optional(name);
  if (!value) throw new Error(`${name} must be set to deploy stage "${$app.stage}" (see sst.config.ts)`);
  return value;
}

export function optional(name: string): string | undefined {
  return process.env[name]?.trim() || undefined;
}

/**
 * The variables `configFromEnv()` reads in every function. An operator's value wins over one
 * infra derives (a custom API domain, say); what is neither derived nor set fails the deploy.
 */
export function productEnvironment(derived: Partial<Record<keyof StackfleetConfig, Input>>): Record<string, Input> {
  const entries = Object.entries(CONFIG_ENV).map(([key, name]) => {
    const field = key as keyof StackfleetConfig;
    const given = optional(name);
    if (given !== undefined) {
      const checked = StackfleetConfig.shape[field].safeParse(given);
      if (!checked.success) throw new Error(`${name}: ${checked.error.issues[0]?.message ?? "invalid"}`);
      return [name, given] as const;
    }
    return [name, derived[field] ?? required(name)] as const;
  });
  return Object.fromEntries(entries);
}

/** Customer stacks and every role the functions may assume are named `<prefix>-…`. */
export function stackPrefix(): string {
  const prefix = required(CONFIG_ENV.stackPrefix);
  StackfleetConfig.shape.stackPrefix.parse(prefix);
  return prefix;
}

/**
 * The public keys manifests are verified against, as `[{ keyId, publicKeyPem }]` JSON. Never read
 * from the table; a deploy with a list the functions would refuse fails here.
 */
export function pinnedKeys(): string | undefined {
  const raw = optional(PINNED_KEYS_ENV);
  if (raw !== undefined) parsePinnedKeys(raw);
  return raw;
}

/** The account id inside an ARN (`arn:partition:service:region:account:…`). */
export function accountOf(arn: string): string {
  const account = arn.split(":")[4];
  if (!account || !/^\d{12}$/.test(account)) throw new Error(`no account id in ${arn}`);
  return account;
}

/** What the main stage needs from a deployed updater stage so the API can schedule runs. */
export interface UpdaterCoordinates {
  scheduleGroupArn: string;
  scheduleGroupName: string;
  /** Schedules must be created in the updater's Region, which may differ from the main stage's. */
  scheduleRegion: string;
  schedulerRoleArn: string;
  executorArn: string;
  deadLetterQueueArn: string;
  executorRoleArn: string;
  /** Set only when the updater lives in another account: the API assumes it to write schedules. */
  scheduleWriterRoleArn?: string;
  /** The updater's announcer role: the main table's stream lets it read (first-seen times). */
  announceRoleArn?: string;
}

/**
 * Absent on the main stage's first deploy (the updater needs the main stage's outputs first);
 * once the group is given, everything else must be too, so the API is never half-wired.
 */
export function updaterCoordinates(): UpdaterCoordinates | undefined {
  const scheduleGroupArn = optional("STACKFLEET_SCHEDULE_GROUP_ARN");
  if (!scheduleGroupArn) return undefined;
  const [, scheduleRegion, scheduleGroupName] =
    /^arn:[\w-]+:scheduler:([a-z0-9-]+):\d{12}:schedule-group\/([\w.-]{1,64})$/.exec(scheduleGroupArn) ?? [];
  if (!scheduleRegion || !scheduleGroupName) {
    throw new Error(`STACKFLEET_SCHEDULE_GROUP_ARN is not a schedule group ARN: ${scheduleGroupArn}`);
  }
  return {
    scheduleGroupArn,
    scheduleGroupName,
    scheduleRegion,
    schedulerRoleArn: required("STACKFLEET_SCHEDULER_ROLE_ARN"),
    executorArn: required("STACKFLEET_EXECUTOR_ARN"),
    deadLetterQueueArn: required("STACKFLEET_SCHEDULE_DLQ_ARN"),
    executorRoleArn: required("STACKFLEET_EXECUTOR_ROLE_ARN"),
    scheduleWriterRoleArn: optional("STACKFLEET_SCHEDULE_WRITER_ROLE_ARN"),
    announceRoleArn: optional("STACKFLEET_ANNOUNCE_ROLE_ARN"),
  };
}
