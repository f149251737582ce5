import {
  Arn,
  Count,
  ExecutorFloor,
  fromVar,
  PinnedKeys,
  Product,
  pinnedKeysVar,
  ScheduleTarget,
  Table,
  TemplateBucket,
  TopicArn,
} from "./executor-config";
import { APPROVER_KEYS_ENV, parseApproverKeys } from "./version/approval";
import * as z from "./zod-mini";

export * from "./executor-config";

const origins = (v: string) =>
  v
    .split(",")
    .map((o) => o.trim())
    .filter(Boolean);
const isOrigin = (o: string) => URL.canParse(o) && /^https?:$/.test(new URL(o).protocol) && new URL(o).origin === o;

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
