import type { Actor, Deps } from "../context";
import * as Halts from "../version/halts";
import * as Version from "../version/version";
import type { RolloutContext } from "./context";
import { cancelSchedules, type OperatorOptions } from "./halt-rollout";
import { type PlanResult, planVersion } from "./plan";

export { cancelSchedules, haltRollout, type OperatorOptions } from "./halt-rollout";

/** Lifts the halt, then wakes the waiting runs and — for the latest version — plans what is missing. Continue `plan.cursor` like a plan's. */
export async function resumeRollout(
  deps: Deps,
  ctx: RolloutContext,
  version: string,
  actor: Actor,
  reason?: string,
  options: OperatorOptions = {},
) {
  const resumed = await Halts.resumeVersion(deps, version, actor, reason);
  return { version: resumed, plan: await wake(deps, ctx, resumed, options) };
}

/** The global kill switch, with the same courtesy for every published version. */
export async function haltEverything(
  deps: Deps,
  ctx: RolloutContext,
  actor: Actor,
  reason?: string,
  options: OperatorOptions = {},
) {
  const control = await Halts.setGlobalHalt(deps, true, actor, reason);
  const deadline = Date.now() + (options.budgetMs ?? 20_000);
  for (const v of await publishedVersions(deps)) await cancelSchedules(deps, ctx, v.version, deadline);
  return control;
}

export async function resumeEverything(
  deps: Deps,
  ctx: RolloutContext,
  actor: Actor,
  reason?: string,
  options: OperatorOptions = {},
) {
  const control = await Halts.setGlobalHalt(deps, false, actor, reason);
  const plans: { version: string; plan: PlanResult }[] = [];
  for (const v of await publishedVersions(deps))
    plans.push({ version: v.version, plan: await wake(deps, ctx, v, options) });
  return { control, plans };
}

/** Only the latest published version is planned anew; older ones just get their waiting runs back. */
async function wake(
  deps: Deps,
  ctx: RolloutContext,
  version: Version.VersionRecord,
  options: OperatorOptions,
): Promise<PlanResult> {
  const latest = await Version.latestPublished(deps);
  const approved = !version.approvalRequired || version.approvedBy !== undefined;
  return planVersion(deps, ctx, version, {
    wake: true,
    wakeOnly: latest?.version !== version.version || !approved,
    budgetMs: options.budgetMs ?? 20_000,
  });
}

async function publishedVersions(deps: Deps): Promise<Version.VersionRecord[]> {
  const out: Version.VersionRecord[] = [];
  let cursor: string | null = null;
  do {
    const page: Awaited<ReturnType<typeof Version.list>> = await Version.list(deps, { limit: 100, cursor });
    out.push(...page.items.filter((v) => v.state === "published"));
    cursor = page.cursor;
  } while (cursor);
  return out;
}
