import type { TransactionEntities } from "../db/service";
import { type LabelledItem, labelled } from "../db/transaction";
import type { RunConflict } from "./conflicts";
import type { RunRecord } from "./run";

// The conditions a claim or the go checks inside its own transaction, so a halt, skip or opt-out
// up to the last moment wins over the run.

/** No global halt, and the run's version still `published`. */
export function haltChecks(
  current: RunRecord,
  control: TransactionEntities["control"],
  version: TransactionEntities["version"],
): LabelledItem<RunConflict>[] {
  return [
    labelled(
      control
        .check({ name: "global" })
        .where(({ halted }, { eq, notExists }) => `${notExists(halted)} OR ${eq(halted, false)}`)
        .commit(),
      "halted",
      "All rollouts are halted",
    ),
    labelled(
      version
        .check({ sequence: current.sequence })
        .where(({ state }, { eq }) => eq(state, "published"))
        .commit(),
      "version_halted",
      `Version ${current.version} is halted or withdrawn`,
    ),
  ];
}

/** Still connected, opted in, and this version not skipped. */
export function eligibilityCheck(current: RunRecord, integration: TransactionEntities["integration"]) {
  return labelled(
    integration
      .check({ integrationId: current.integrationId })
      .where(
        ({ status, autoUpdate, skippedVersions }, { eq, notContains }) =>
          `${eq(status, "connected")} AND ${eq(autoUpdate, true)} AND ${notContains(skippedVersions, current.version)}`,
      )
      .commit(),
    "integration_ineligible" as const,
    "The integration is no longer connected and opted in for this version",
  );
}
