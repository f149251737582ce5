export { emptyCounts, type SweepCounts, type SweeperContext } from "./context";
export { consumeDeadLetters, type DeadLetterCounts, runIdOfDeadLetter } from "./dead-letters";
export { SWEEPER_FINDINGS, sweep } from "./sweep";
