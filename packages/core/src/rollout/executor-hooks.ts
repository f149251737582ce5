import type { Deps } from "../context";
import type { ExecutorHooks } from "../executor/context";
import { loadRolloutPolicy, type RolloutContext } from "./context";
import { recordRunOutcome } from "./outcome";
import { DEFAULT_ROLLOUT_POLICY } from "./policy";
import { gateForRun } from "./wave-gate";
import { isWithinWindow } from "./wave-rules";
import { nextWindowStart } from "./window";

/**
 * What the rollout asks of the executor around each run: before claiming, the integration's
 * maintenance window (a flexible window or a retry may fire outside it) and the wave gate
 * (canary first, cooling-off, strict concurrency); after a final outcome, the wave's tally,
 * which halts the version once its failures pass the tolerance.
 */
export function rolloutHooks(deps: Deps, ctx: Omit<RolloutContext, "policy">): ExecutorHooks {
  return {
    async beforeClaim(run, integration) {
      const now = deps.now();
      const window = integration?.maintenanceWindow;
      // "Update now" is the customer's explicit request: it does not wait for their window.
      if (window && run.wave !== "manual" && !isWithinWindow(window, now)) {
        return { ok: false, reason: "outside_maintenance_window", retryAt: nextWindowStart(window, now) };
      }
      return gateForRun(deps, run, now);
    },
    async afterFinal(run, outcome, reason) {
      // The stored policy only decides whether a wave's failure passes its tolerance: a success or a
      // run outside a wave reads no control item for it.
      const policy = outcome === "failed" && run.wave ? await loadRolloutPolicy(deps) : DEFAULT_ROLLOUT_POLICY;
      await recordRunOutcome(deps, { ...ctx, policy }, run, outcome, reason);
    },
  };
}
