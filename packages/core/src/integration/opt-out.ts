import { STACK_OPT_OUT } from "../customer-stack/contract";
import type { IntegrationRecord } from "./integration";

export { STACK_OPT_OUT };

/**
 * The live parameter is the customer's own switch: off in the stack is off here. Turning it back
 * on in the stack lifts only an opt-out that came from the stack — a tenant's opt-out through the
 * API stays until the tenant lifts it.
 */
export function autoUpdateFromStack(integration: IntegrationRecord, enabledInStack: boolean) {
  if (!enabledInStack) return { autoUpdate: false, autoUpdateReason: STACK_OPT_OUT };
  if (integration.status === "pending" || integration.autoUpdateReason === STACK_OPT_OUT)
    return { autoUpdate: true, autoUpdateReason: undefined };
  return { autoUpdate: integration.autoUpdate, autoUpdateReason: integration.autoUpdateReason };
}
