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
export { assignWaves, waveStartTimes, type Waves } from "./waves";
export { slotTimes, planWave, type PlannedRun } from "./slots";
export { mainWaveGate, isWithinWindow, type CanaryProgress, type MainWaveDecision } from "./gates";
