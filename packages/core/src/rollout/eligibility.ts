import type { IntegrationRecord } from "../integration/integration";
import semver from "../version/semver";
import type { VersionRecord } from "../version/version";

export type Eligibility = { eligible: true } | { eligible: false; state: "skipped" | "ineligible"; reason: string };

type IntegrationFacts = Pick<
  IntegrationRecord,
  "status" | "autoUpdate" | "updateRoleArn" | "skippedVersions" | "currentVersion"
>;
type VersionFacts = Pick<VersionRecord, "version" | "state" | "approvalRequired" | "approvedBy">;

/**
 * Whether the table says this integration may be brought to this version — what the planner
 * filters on and the executor re-checks after claiming (it adds the live stack's
 * `EnableAutoUpdate`, the halt flags and the signed manifest, which no table can vouch for).
 * A skip is the customer's explicit choice, so it gets its own run state.
 */
export function eligibility(integration: IntegrationFacts, version: VersionFacts): Eligibility {
  const no = (reason: string): Eligibility => ({ eligible: false, state: "ineligible", reason });
  if (integration.status !== "connected") return no(`integration is ${integration.status}`);
  if (!integration.autoUpdate) return no("auto-update is off");
  if (!integration.updateRoleArn) return no("the stack has no update role (EnableAutoUpdate=false when it registered)");
  if (version.state !== "published") return no(`version ${version.version} is ${version.state}`);
  if (version.approvalRequired && !version.approvedBy)
    return no(`version ${version.version} awaits an operator's approval`);
  if (integration.skippedVersions?.includes(version.version)) {
    return { eligible: false, state: "skipped", reason: `the customer skipped version ${version.version}` };
  }
  const current = integration.currentVersion;
  if (current && semver.valid(current) && !semver.gt(version.version, current)) return no(`already at ${current}`);
  return { eligible: true };
}
