// Planning and rollout controls (these read and write the table; the exports above are pure).
export { loadRolloutPolicy, type RolloutContext } from "./context";
export * as CustomerControls from "./customer-controls";
export { type Eligibility, eligibility } from "./eligibility";
export { rolloutHooks } from "./executor-hooks";
export * as OperatorControls from "./operator-controls";
export { type OutcomeResult, type RunOutcome, recordRunOutcome } from "./outcome";
export { type PlanOptions, type PlanResult, planAll, planVersion } from "./plan";
export { planIntegration } from "./plan-integration";
export { DEFAULT_ROLLOUT_POLICY, RolloutPolicy, type RolloutPolicyInput } from "./policy";
export { setRolloutPolicy } from "./policy-store";
export { pendingUpdate, type RolloutProgress, rolloutProgress } from "./progress";
export {
  concurrencyFor,
  maxConcurrentFor,
  mayStart,
  type StartDecision,
  toleranceExceeded,
  toleranceFor,
} from "./tolerance";
export { type GateDecision, gateForRun } from "./wave-gate";
export { type CanaryProgress, isWithinWindow, type MainWaveDecision, mainWaveGate } from "./wave-rules";
export { MaintenanceWindow, nextWindowStart, runTimeFor } from "./window";
