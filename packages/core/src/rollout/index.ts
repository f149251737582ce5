export { MaintenanceWindow, nextWindowStart, runTimeFor } from "./window";
export { RolloutPolicy, type RolloutPolicyInput, DEFAULT_ROLLOUT_POLICY } from "./policy";
export {
  toleranceFor,
  maxConcurrentFor,
  concurrencyFor,
  toleranceExceeded,
  mayStart,
  type StartDecision,
} from "./tolerance";
export { mainWaveGate, isWithinWindow, type CanaryProgress, type MainWaveDecision } from "./gates";
// Planning and rollout controls (these read and write the table; the exports above are pure).
export { type RolloutContext, loadRolloutPolicy } from "./context";
export { setRolloutPolicy } from "./policy-store";
export { eligibility, type Eligibility } from "./eligibility";
export { plannedRunId } from "./run-id";
export { planVersion, planAll, type PlanOptions, type PlanResult } from "./plan";
export { planIntegration } from "./plan-integration";
export { recordRunOutcome, type RunOutcome, type OutcomeResult } from "./outcome";
export { gateForRun, type GateDecision } from "./gate";
export { rolloutHooks } from "./executor-hooks";
export * as CustomerControls from "./controls";
export * as OperatorControls from "./operator";
export { rolloutProgress, pendingUpdate, type RolloutProgress } from "./progress";
