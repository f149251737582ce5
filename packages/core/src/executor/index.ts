export { executeRun, type ExecutorContext, type ExecutionResult } from "./execute";
export { stsCustomerAccess, type CustomerAccess } from "./access";
export { ExecutorInput, parseExecutorInput } from "./input";
