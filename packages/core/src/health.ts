import type { Deps } from "./context";

/**
 * Whether the table answers: a real consistent read of the global control item, which proves the
 * table exists and the credentials work. The cause of a failure is the caller's to log, never to
 * show — /health is unauthenticated.
 */
export async function checkStore(deps: Deps): Promise<{ reachable: true } | { reachable: false; cause: string }> {
  try {
    await deps.service.entities.control.get({ name: "global" }).go({ consistent: true });
    return { reachable: true };
  } catch (error) {
    return { reachable: false, cause: (error as Error).message };
  }
}
