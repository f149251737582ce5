export { type CustomerAccess, stsCustomerAccess } from "./access";
export { type ExecutionResult, type ExecutorContext, type ExecutorHooks, executeRun } from "./execute";
export { ExecutorInput, parseExecutorInput } from "./input";
