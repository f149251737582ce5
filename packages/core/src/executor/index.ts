export { type CustomerAccess, stsCustomerAccess } from "./access";
export { executeRun } from "./claim";
export type { ExecutionResult, ExecutorContext, ExecutorHooks, GateAnswer } from "./context";
export { ExecutorInput, type ExecutorRequest, parseExecutorInput } from "./input";
