/**
 * The executor's configuration and what every function's configuration is built from. The
 * planner's and the API's configurations are in config.ts, which re-exports this module: the
 * executor imports this one alone, so its Lambda bundle leaves theirs out (test/bundle.test.ts).
 */
import { $ZodObject, $ZodOptional } from "zod/v4/core";
import { PINNED_KEYS_ENV, parsePinnedKeys } from "./signing/pinned";
import { APPROVER_KEYS_ENV, parseApproverKeys } from "./version/approval";
import * as z from "./zod-mini";

const AccountId = z.string().check(z.regex(/^\d{12}$/, "must be a 12-digit AWS account id"));

/**
 * The vendor's deployment: who it is, which prefix its customer stacks carry, where the trust
 * points. Read once from the environment (Lambda) or composed by the local runtime.
 */
export const StackfleetConfig = z.object({
  vendorName: z.string().check(z.minLength(1)),
  product: z.string().check(z.regex(/^[a-z][a-z0-9-]{1,30}$/)),
  /** Customer stacks and the roles the executor may assume are all named `<prefix>-…`. */
  stackPrefix: z.string().check(z.regex(/^[A-Za-z](?:[A-Za-z0-9-]{0,29}[A-Za-z0-9])?$/)),
  vendorAccountId: AccountId,
  updaterAccountId: AccountId,
  executorRoleName: z.string().check(z.minLength(1), z.maxLength(64)),
  /** Public base URL of the API (the registration callback lives under it). */
  apiBaseUrl: z.string().check(z.url()),
  /** Where customers' CloudFormation fetches published templates from (S3 https in AWS). */
  templateBaseUrl: z.string().check(z.url()),
});
export type StackfleetConfig = z.infer<typeof StackfleetConfig>;

/** The environment variables infra sets on every function (see infra/config.ts productEnvironment). */
export const CONFIG_ENV = {
  vendorName: "STACKFLEET_VENDOR_NAME",
  product: "STACKFLEET_PRODUCT",
  stackPrefix: "STACKFLEET_STACK_PREFIX",
  vendorAccountId: "STACKFLEET_VENDOR_ACCOUNT_ID",
  updaterAccountId: "STACKFLEET_UPDATER_ACCOUNT_ID",
  executorRoleName: "STACKFLEET_EXECUTOR_ROLE_NAME",
  apiBaseUrl: "STACKFLEET_API_BASE_URL",
  templateBaseUrl: "STACKFLEET_TEMPLATE_BASE_URL",
} as const satisfies Record<keyof StackfleetConfig, string>;

/**
 * Binds a setting to the variable it is read from; `fromEnv` finds the name in the schema itself.
 * A copy carries the name (as classic zod's `.meta()` does): one schema may serve several variables.
 */
export const fromVar = <S extends z.ZodMiniType>(name: string, schema: S): S => {
  const bound = schema.clone();
  z.globalRegistry.add(bound, { env: name });
  return bound;
};
const envNameOf = (schema: z.core.$ZodType): string | undefined => {
  const env = z.globalRegistry.get(schema)?.env;
  return typeof env === "string" ? env : undefined;
};

export const Arn = z.string().check(z.regex(/^arn:[\w-]+:[\w-]+:[\w-]*:\d{0,12}:\S+$/, "must be an ARN"));
export const Count = (fallback: number) => z._default(z.coercedNumber().check(z.int(), z.gte(0)), fallback);

/** `StackfleetConfig`, each field from its `CONFIG_ENV` variable. */
export const Product = z.object(
  Object.fromEntries(
    Object.entries(CONFIG_ENV).map(([key, name]) => [
      key,
      fromVar(name, StackfleetConfig.shape[key as keyof StackfleetConfig]),
    ]),
  ) as typeof StackfleetConfig.shape,
);

export const Table = fromVar("STACKFLEET_TABLE", z.string().check(z.minLength(1)));
export const TemplateBucket = fromVar("STACKFLEET_TEMPLATE_BUCKET", z.string().check(z.minLength(3), z.maxLength(63)));
export const pinnedKeysVar = (name: string) =>
  fromVar(
    name,
    z.pipe(
      z.string(),
      z.transform((json, ctx) => {
        try {
          return parsePinnedKeys(json);
        } catch (e) {
          // Mini's transform has no `addIssue`; this is the issue classic's `addIssue` records.
          ctx.issues.push({ code: "custom", message: (e as Error).message, input: json });
          return z.NEVER;
        }
      }),
    ),
  );
export const PinnedKeys = pinnedKeysVar(PINNED_KEYS_ENV);
export const TopicArn = fromVar("STACKFLEET_NOTIFICATION_TOPIC_ARN", Arn);

/** Where one-shot run schedules go and whom they invoke: the updater stage's group. */
export const ScheduleTarget = z.object({
  groupName: fromVar("STACKFLEET_SCHEDULE_GROUP", z.string().check(z.regex(/^[0-9a-zA-Z-_.]{1,64}$/))),
  executorArn: fromVar("STACKFLEET_EXECUTOR_ARN", Arn),
  schedulerRoleArn: fromVar("STACKFLEET_SCHEDULER_ROLE_ARN", Arn),
  deadLetterArn: fromVar("STACKFLEET_SCHEDULE_DLQ_ARN", Arn),
});

/**
 * The updater's own floor: its table (first-seen times, high-water marks, emergency stop) and the
 * limits neither the main table nor a manifest can lower.
 */
export const ExecutorFloor = z.object({
  updaterTable: fromVar("STACKFLEET_UPDATER_TABLE", z.string().check(z.minLength(1))),
  /** No execution before the updater has known a version this long, whatever its notBefore says. */
  minGraceHours: fromVar("STACKFLEET_MIN_GRACE_HOURS", z._default(z.coercedNumber().check(z.gte(0), z.lte(720)), 24)),
  /** Second signatures a broadening version needs; none pinned: every broadening version is refused. */
  approverKeys: z.optional(pinnedKeysVar(APPROVER_KEYS_ENV)),
});

/** The executor: reads the table, verifies with its own pinned keys, schedules its own retries. */
export const ExecutorConfig = z
  .object({
    product: Product,
    tableName: Table,
    templateBucket: TemplateBucket,
    pinnedKeys: PinnedKeys,
    schedule: ScheduleTarget,
    floor: ExecutorFloor,
    /** Outcomes are also announced from the executor when the updater stage knows the topic. */
    notificationTopicArn: z.optional(TopicArn),
    /**
     * After ExecuteChangeSet the invocation ends; a one-shot "watch" schedule this long after reads
     * the stack's status (a typical update is done by then), later ones back off. At least 30 s:
     * a delivery up to 10 s before a watch's time counts as that watch (executor/watch.ts).
     */
    firstWatchSeconds: fromVar(
      "STACKFLEET_FIRST_WATCH_SECONDS",
      z._default(z.coercedNumber().check(z.int(), z.gte(30), z.lte(900)), 60),
    ),
  })
  .check(
    z.superRefine((config, ctx) => {
      // One party must not hold both signatures: a key pinned for releases cannot approve them.
      try {
        if (config.floor.approverKeys) parseApproverKeys(JSON.stringify(config.floor.approverKeys), config.pinnedKeys);
      } catch (e) {
        ctx.addIssue({ code: "custom", path: ["floor", "approverKeys"], message: (e as Error).message });
      }
    }),
  );
export type ExecutorConfig = z.infer<typeof ExecutorConfig>;

type Env = Record<string, string | undefined>;

/**
 * Lays the environment out in the schema's shape: each leaf takes its variable (empty counts as
 * unset), and an optional group none of whose variables is set stays absent. Records which
 * variable each path came from, so errors name variables rather than fields.
 */
function collect(schema: z.core.$ZodType, env: Env, path: string, names: Map<string, string>): unknown {
  const name = envNameOf(schema);
  if (name !== undefined) {
    names.set(path, name);
    const value = env[name]?.trim();
    return value === "" ? undefined : value;
  }
  // zod core's classes (imported alone: `z.core.…` would keep all of core in the executor's bundle),
  // so a schema built with classic zod (the sweeper's) is read the same way.
  if (schema instanceof $ZodOptional) {
    const inner = collect(schema._zod.def.innerType, env, path, names);
    if (typeof inner !== "object" || inner === null) return inner;
    return Object.values(inner).every((v) => v === undefined) ? undefined : inner;
  }
  if (!(schema instanceof $ZodObject)) throw new Error(`config field ${path} names no environment variable`);
  const entries = Object.entries(schema._zod.def.shape);
  return Object.fromEntries(
    entries.map(([key, field]) => [key, collect(field, env, path ? `${path}.${key}` : key, names)]),
  );
}

/**
 * The one reader of function configuration. Fails at cold start, naming every missing or
 * malformed variable at once, rather than serve half-configured.
 */
export function fromEnv<S extends z.core.$ZodObject>(schema: S, env: Env = process.env): z.infer<S> {
  const names = new Map<string, string>();
  const parsed = z.safeParse(schema, collect(schema, env, "", names));
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const path = issue.path.join(".");
    const group = [...names].filter(([field]) => field.startsWith(`${path}.`)).map(([, name]) => name);
    const name = names.get(path);
    if (name === undefined) return `${group.join(", ")}: ${issue.message}`;
    return `${name}: ${env[name]?.trim() ? issue.message : "is not set"}`;
  });
  throw new Error(`Stackfleet configuration is invalid: ${problems.join("; ")}`);
}
