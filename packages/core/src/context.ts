import type { StackfleetService } from "./db/service";
import type { NewId } from "./id";

/**
 * What every core operation needs from the outside world. Injected, never imported, so tests
 * control time, ids and the table.
 */
export interface Deps {
  service: StackfleetService;
  now(): Date;
  newId: NewId;
}

/** Who did it: recorded on every audit event. */
export type Actor = `tenant:${string}` | `operator:${string}` | `system:${string}` | "customer-stack";

export const isoNow = (deps: Pick<Deps, "now">) => deps.now().toISOString();
