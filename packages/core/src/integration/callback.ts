import { createHash, timingSafeEqual } from "node:crypto";
import * as z from "zod";
import type { Deps } from "../context";
import { forbidden, inputError } from "../error";
import { EXTERNAL_ID_PATTERN, externalIdHash } from "./externalid";
import { AccountId, getById, type IntegrationRecord, Region } from "./integration";

const RoleArn = z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/, "must be an IAM role ARN");
const SemVer = z
  .string()
  .max(64)
  .regex(/^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/, "must be a semantic version like 1.2.3");

/**
 * What the template's registration custom resource posts (see template/customer). Every field is
 * a claim: state changes only when the live stack, read through the integration role, agrees.
 */
export const RegistrationCallback = z.object({
  requestType: z.enum(["Create", "Update", "Delete"]),
  /** CloudFormation's RequestId for this custom-resource operation: a replay carries the same one. */
  requestId: z.string().min(1).max(128).nullish(),
  externalId: z.string().regex(EXTERNAL_ID_PATTERN, "is not a valid ExternalId"),
  accountId: AccountId,
  region: Region,
  integrationRoleArn: RoleArn,
  updateRoleArn: RoleArn.nullish(),
  serviceRoleArn: RoleArn.nullish(),
  stackId: z.string().startsWith("arn:").max(2048),
  stackName: z.string().min(1).max(128),
  templateVersion: SemVer,
  enableAutoUpdate: z.union([z.boolean(), z.enum(["true", "false"]).transform((v) => v === "true")]),
});
export type RegistrationCallback = z.infer<typeof RegistrationCallback>;

const accountOfArn = (arn: string) => arn.split(":")[4];
const roleNameOf = (arn: string) =>
  arn
    .slice(arn.indexOf(":role/") + 6)
    .split("/")
    .pop() ?? "";

/** Constant-time: hashing first makes the lengths equal so the comparison leaks nothing. */
function sameSecret(a: string, b: string): boolean {
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}

/**
 * The integration a callback is about: the one its ExternalId belongs to (so a refusal for a
 * wrong account is counted on that integration), else the one holding its account+region (so a
 * wrong ExternalId is counted there). Neither lookup decides anything by itself.
 */
export async function findForCallback(
  deps: Deps,
  callback: RegistrationCallback,
): Promise<IntegrationRecord | undefined> {
  const indexed = (
    await deps.service.entities.externalIdIndex.get({ externalIdHash: externalIdHash(callback.externalId) }).go()
  ).data;
  if (indexed) return getById(deps, indexed.integrationId);
  const guard = (
    await deps.service.entities.accountGuard.get({ accountId: callback.accountId, region: callback.region }).go()
  ).data;
  return guard ? getById(deps, guard.integrationId) : undefined;
}

/**
 * What can be refused without touching the customer account. The messages never name the
 * integration's account or Region: whoever holds an ExternalId learns nothing from a refusal.
 */
export function checkClaimShape(
  integration: IntegrationRecord | undefined,
  callback: RegistrationCallback,
  stackPrefix: string,
): asserts integration is IntegrationRecord {
  // Unknown account+region and a wrong ExternalId look the same to the caller.
  if (!integration || !sameSecret(integration.externalId, callback.externalId))
    throw forbidden("registration_rejected", "No integration matches this account, region and ExternalId");
  const arns = [callback.integrationRoleArn, callback.updateRoleArn, callback.serviceRoleArn].filter(
    (a): a is string => !!a,
  );
  if (callback.accountId !== integration.accountId || arns.some((arn) => accountOfArn(arn) !== callback.accountId))
    throw forbidden("account_mismatch", "The stack's account is not the one this ExternalId was issued for");
  if (callback.region !== integration.region)
    throw forbidden("region_mismatch", "The stack's Region is not the one this ExternalId was issued for");
  if (arns.some((arn) => !roleNameOf(arn).startsWith(`${stackPrefix}-`)))
    throw inputError("role_outside_prefix", `Role names must start with ${stackPrefix}-`);
}

/** A stack id is `arn:…:stack/<name>/<uuid>`. */
export const stackNameOfId = (stackId: string) => stackId.split(":stack/")[1]?.split("/")[0];
