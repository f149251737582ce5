/**
 * The sandbox's CloudFormation engine. DEVELOPMENT AND TEST HARNESS ONLY.
 */

export type { CloudFormationEngineOptions } from "./core";
export { CloudFormationEngine } from "./engine";
export type { FetchTemplate } from "./template";
export { MAX_TEMPLATE_BODY_BYTES } from "./template";
export type {
  CustomResourceHook,
  CustomResourceRequest,
  CustomResourceResponse,
  FaultInjection,
  PhaseDurations,
} from "./types";
