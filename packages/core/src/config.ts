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
  stackPrefix: z.string().regex(/^[A-Za-z][A-Za-z0-9]{0,30}$/),
  vendorAccountId: AccountId,
  updaterAccountId: AccountId,
  executorRoleName: z.string().min(1).max(64),
  /** Public base URL of the API (the registration callback lives under it). */
  apiBaseUrl: z.string().url(),
  /** Where customers' CloudFormation fetches published templates from (S3 https in AWS). */
  templateBaseUrl: z.string().url(),
});
export type StackfleetConfig = z.infer<typeof StackfleetConfig>;

export const stackNameFor = (config: Pick<StackfleetConfig, "stackPrefix">) => `${config.stackPrefix}-integration`;
