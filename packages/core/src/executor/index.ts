export { executeRun, type ExecutorContext, type ExecutionResult, type ExecutorHooks } from "./execute";
export { stsCustomerAccess, type CustomerAccess } from "./access";
export { ExecutorInput, parseExecutorInput } from "./input";
