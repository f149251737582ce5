import type { Deps } from "../context";
import { type CustomerVerdict, customerVerdict } from "../version/customer-changelog";
import { findBySemver, type VersionRecord } from "../version/version";

/**
 * The verdict (summary, broadening, grace end) for customers at each installed version, looked
 * up once per installed version: a fleet runs a handful of versions, not one per integration.
 */
export function customerVerdicts(deps: Deps, target: VersionRecord) {
  const memo = new Map<string, Promise<CustomerVerdict>>();
  return (installed: string | undefined): Promise<CustomerVerdict> => {
    const key = installed ?? "";
    let found = memo.get(key);
    if (!found) {
      found = verdictFrom(deps, installed, target);
      memo.set(key, found);
    }
    return found;
  };
}

export async function verdictFrom(deps: Deps, installed: string | undefined, target: VersionRecord) {
  if (!installed) return customerVerdict(deps, undefined, target);
  // Registration only accepts published versions; one missing from the table (a test fixture,
  // a hand-made stack) has nothing to compare with, so the version's own verdict stands.
  return customerVerdict(deps, await findBySemver(deps, installed), target);
}
