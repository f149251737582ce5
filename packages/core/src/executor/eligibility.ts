import semver from "semver";
import type { IntegrationRecord } from "../integration/integration";
import type { VersionRecord } from "../version/version";

export type Eligibility = { eligible: true } | { eligible: false; state: "skipped" | "ineligible"; reason: string };

/**
 * The table side of "may this integration be updated to this version, now?" — re-checked by the
 * executor immediately before acting, whatever the planner decided earlier.
 */
export function eligibility(integration: IntegrationRecord, version: VersionRecord): Eligibility {
  const no = (reason: string): Eligibility => ({ eligible: false, state: "ineligible", reason });
  if (integration.status !== "connected") return no(`integration is ${integration.status}`);
  if (!integration.autoUpdate) return no(`auto-update is off${integration.autoUpdateReason ? ` (${integration.autoUpdateReason})` : ""}`);
  if (!integration.updateRoleArn) return no("the stack has no update role (EnableAutoUpdate is false)");
  if (integration.skippedVersions?.includes(version.version)) return { eligible: false, state: "skipped", reason: `version ${version.version} is skipped by the customer` };
  if (version.state !== "published") return no(`version ${version.version} is ${version.state}`);
  if (version.approvalRequired && !version.approvedBy) return no(`version ${version.version} awaits operator approval`);
  if (integration.currentVersion && semver.valid(integration.currentVersion) && !semver.gt(version.version, integration.currentVersion)) {
    return no(`the stack is already at ${integration.currentVersion}`);
  }
  return { eligible: true };
}
