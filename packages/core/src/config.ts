import { z } from "zod";

const AccountId = z.string().regex(/^\d{12}$/, "must be a 12-digit AWS account id");

/**
 * The vendor's deployment: who it is, which prefix its customer stacks carry, where the trust
 * points. Read once from the environment (Lambda) or composed by the local runtime.
 */
export const StackfleetConfig = z.object({
  vendorName: z.string().min(1),
  product: z.string().regex(/^[a-z][a-z0-9-]{1,30}$/),
  /** Customer stacks and the roles the executor may assume are all named `<prefix>-…`. */
  stackPrefix: z.string().regex(/^[A-Za-z](?:[A-Za-z0-9-]{0,29}[A-Za-z0-9])?$/),
  vendorAccountId: AccountId,
  updaterAccountId: AccountId,
  executorRoleName: z.string().min(1).max(64),
  /** Public base URL of the API (the registration callback lives under it). */
  apiBaseUrl: z.string().url(),
  /** Where customers' CloudFormation fetches published templates from (S3 https in AWS). */
  templateBaseUrl: z.string().url(),
});
export type StackfleetConfig = z.infer<typeof StackfleetConfig>;

/** The environment variables infra sets on every function (see infra/api.ts, infra/updater.ts). */
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

/** Fails at cold start, naming every missing or malformed variable, rather than serve half-configured. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): StackfleetConfig {
  const raw = Object.fromEntries(Object.entries(CONFIG_ENV).map(([key, name]) => [key, env[name]]));
  const parsed = StackfleetConfig.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (i) => `${CONFIG_ENV[i.path[0] as keyof StackfleetConfig] ?? i.path.join(".")}: ${i.message}`,
    );
    throw new Error(`Stackfleet configuration is invalid: ${problems.join("; ")}`);
  }
  return parsed.data;
}
