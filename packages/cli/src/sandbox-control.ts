import { createApiClient } from "./api-client";
import { CliError, ExitCode } from "./errors";
import type { LocalRuntime } from "./target";

/**
 * Calls the local sandbox's `/_sandbox/…` control API (no auth: it only listens locally). A
 * sandbox from an older checkout answers 404 `not_found` for routes it lacks: say so plainly.
 */
export async function sandboxControl<T>(
  sandbox: NonNullable<LocalRuntime["sandbox"]>,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  try {
    return await createApiClient(sandbox.endpoint, async () => undefined).request<T>(method, path, { body });
  } catch (e) {
    if (e instanceof CliError && e.message.includes("→ 404 not_found:"))
      throw new CliError(
        ExitCode.failure,
        `the sandbox at ${sandbox.endpoint} does not offer ${method} ${path}`,
        "restart `npm start` from a checkout whose sandbox has it",
      );
    throw e;
  }
}
