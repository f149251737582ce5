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
const fromVar = <S extends z.ZodMiniType>(name: string, schema: S): S => {
  const bound = schema.clone();
  z.globalRegistry.add(bound, { env: name });
  return bound;
};
const envNameOf = (schema: z.core.$ZodType): string | undefined => {
  const env = z.globalRegistry.get(schema)?.env;
  return typeof env === "string" ? env : undefined;
};

const Arn = z.string().check(z.regex(/^arn:[\w-]+:[\w-]+:[\w-]*:\d{0,12}:\S+$/, "must be an ARN"));
const Count = (fallback: number) => z._default(z.coerce.number().check(z.int(), z.gte(0)), fallback);

const origins = (v: string) =>
  v
    .split(",")
    .map((o) => o.trim())
    .filter(Boolean);
const isOrigin = (o: string) => URL.canParse(o) && /^https?:$/.test(new URL(o).protocol) && new URL(o).origin === o;

/** `StackfleetConfig`, each field from its `CONFIG_ENV` variable. */
const Product = z.object(
  Object.fromEntries(
    Object.entries(CONFIG_ENV).map(([key, name]) => [
      key,
      fromVar(name, StackfleetConfig.shape[key as keyof StackfleetConfig]),
    ]),
  ) as typeof StackfleetConfig.shape,
);

const Table = fromVar("STACKFLEET_TABLE", z.string().check(z.minLength(1)));
const TemplateBucket = fromVar("STACKFLEET_TEMPLATE_BUCKET", z.string().check(z.minLength(3), z.maxLength(63)));
const pinnedKeysVar = (name: string) =>
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
const PinnedKeys = pinnedKeysVar(PINNED_KEYS_ENV);
const TopicArn = fromVar("STACKFLEET_NOTIFICATION_TOPIC_ARN", Arn);

/** Where one-shot run schedules go and whom they invoke: the updater stage's group. */
const ScheduleTarget = z.object({
  groupName: fromVar("STACKFLEET_SCHEDULE_GROUP", z.string().check(z.regex(/^[0-9a-zA-Z-_.]{1,64}$/))),
  executorArn: fromVar("STACKFLEET_EXECUTOR_ARN", Arn),
  schedulerRoleArn: fromVar("STACKFLEET_SCHEDULER_ROLE_ARN", Arn),
  deadLetterArn: fromVar("STACKFLEET_SCHEDULE_DLQ_ARN", Arn),
});

/**
 * The updater's own floor: its table (first-seen times, high-water marks, emergency stop) and the
 * limits neither the main table nor a manifest can lower.
 */
const ExecutorFloor = z.object({
  updaterTable: fromVar("STACKFLEET_UPDATER_TABLE", z.string().check(z.minLength(1))),
  /** No execution before the updater has known a version this long, whatever its notBefore says. */
  minGraceHours: fromVar("STACKFLEET_MIN_GRACE_HOURS", z._default(z.coerce.number().check(z.gte(0), z.lte(720)), 24)),
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
      z._default(z.coerce.number().check(z.int(), z.gte(30), z.lte(900)), 60),
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

/** The updater's announcer: records when it first learned of each version written to the main table. */
export const AnnounceConfig = z.object({ updaterTable: ExecutorFloor.shape.updaterTable });
export type AnnounceConfig = z.infer<typeof AnnounceConfig>;

/**
 * Rollout planning, as the planner function runs it and the API within a request. The schedule
 * group is absent until the updater stage is deployed; once any of it is given, all of it must be.
 */
export const PlannerConfig = z.object({
  tableName: Table,
  schedule: z.optional(
    z.extend(ScheduleTarget, {
      /** Schedules live in the updater's Region, which may differ from the API's. */
      region: fromVar("STACKFLEET_SCHEDULE_REGION", z.optional(z.string().check(z.minLength(1)))),
      /** Set when the updater lives in another account: assumed to write schedules there. */
      writerRoleArn: fromVar("STACKFLEET_SCHEDULE_WRITER_ROLE_ARN", z.optional(Arn)),
    }),
  ),
  notificationTopicArn: TopicArn,
  /** Planning done inside a request before the rest is handed off (API Gateway gives up at 29 s). */
  planBudgetMs: fromVar("STACKFLEET_PLAN_BUDGET_MS", Count(20_000)),
  /** The planner function: a plan that outlives an invocation continues there, never in the API. */
  plannerFunction: fromVar("STACKFLEET_PLANNER_FUNCTION", z.string().check(z.minLength(1))),
  /**
   * CreateSchedule requests per second this function may send (a token bucket its parallel
   * shards share). Scheduler's quota is 5,000/s per account in the large Regions, 250/s in the
   * others; infra splits it between the planner and the API, leaving the executor headroom.
   */
  createScheduleRate: fromVar(
    "STACKFLEET_CREATE_SCHEDULE_RATE",
    z._default(z.coerce.number().check(z.int(), z.gte(1)), 4_500),
  ),
  /** Planning shards worked on at once (1–16). */
  planConcurrency: fromVar(
    "STACKFLEET_PLAN_CONCURRENCY",
    z._default(z.coerce.number().check(z.int(), z.gte(1), z.lte(16)), 16),
  ),
});
export type PlannerConfig = z.infer<typeof PlannerConfig>;

/** The API: planning plus authentication, registration probes and publishing. */
export const ApiConfig = z
  .extend(PlannerConfig, {
    product: Product,
    templateBucket: TemplateBucket,
    pinnedKeys: PinnedKeys,
    /** Second signatures on broadening versions: the API verifies approvals, it never signs anything. */
    pinnedApproverKeys: z.optional(pinnedKeysVar(APPROVER_KEYS_ENV)),
    /** Tokens come from the vendor's IdP. */
    jwt: z.object({
      issuer: fromVar("STACKFLEET_JWT_ISSUER", z.string().check(z.minLength(1))),
      audience: fromVar("STACKFLEET_JWT_AUDIENCE", z.string().check(z.minLength(1))),
      jwksUrl: fromVar("STACKFLEET_JWKS_URL", z.string().check(z.url())),
    }),
    grace: z.object({
      defaultHours: fromVar("STACKFLEET_GRACE_HOURS", Count(24)),
      broadeningHours: fromVar("STACKFLEET_BROADENING_GRACE_HOURS", Count(72)),
      requireApprovalWhenBroadened: fromVar(
        "STACKFLEET_REQUIRE_APPROVAL_WHEN_BROADENED",
        z.pipe(
          z._default(z.enum(["true", "false"]), "false"),
          z.transform((v) => v === "true"),
        ),
      ),
    }),
    manifestLifetimeDays: fromVar("STACKFLEET_MANIFEST_LIFETIME_DAYS", Count(90)),
    /**
     * One HMAC key for page cursors shared by every instance (base64, ≥ 32 bytes): with a key per
     * Lambda container, a cursor issued by one instance would be a 400 on the next.
     */
    cursorKey: fromVar(
      "STACKFLEET_CURSOR_KEY",
      z
        .pipe(
          z.string(),
          z.transform((v) => new Uint8Array(Buffer.from(v, "base64"))),
        )
        .check(z.refine((k) => k.length >= 32, "must be at least 32 bytes, base64")),
    ),
    /** Dashboard origins allowed by CORS, comma-separated (none: no CORS headers at all). */
    corsOrigins: fromVar(
      "STACKFLEET_CORS_ORIGINS",
      z
        .pipe(z._default(z.string(), ""), z.transform(origins))
        .check(
          z.refine(
            (list) => list.every(isOrigin),
            "must be comma-separated http(s) origins like https://dash.example.com",
          ),
        ),
    ),
    /** How long a created integration waits for its stack to register before it expires. */
    pendingDays: fromVar(
      "STACKFLEET_PENDING_TTL_DAYS",
      z._default(z.coerce.number().check(z.int(), z.gte(1), z.lte(90)), 7),
    ),
  })
  .check(
    z.superRefine((config, ctx) => {
      // As for the executor: a key pinned for releases cannot approve them.
      try {
        if (config.pinnedApproverKeys) parseApproverKeys(JSON.stringify(config.pinnedApproverKeys), config.pinnedKeys);
      } catch (e) {
        ctx.addIssue({ code: "custom", path: ["pinnedApproverKeys"], message: (e as Error).message });
      }
    }),
  );
export type ApiConfig = z.infer<typeof ApiConfig>;

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
