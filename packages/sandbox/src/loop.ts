/**
 * The real clock's heartbeat: runs `step` every `intervalMs`, never overlapping itself (a step
 * may wait for a custom resource's function), until stopped.
 */
export function startLoop(step: () => Promise<unknown>, intervalMs: number): { stop(): Promise<void> } {
  let stopped = false;
  let running: Promise<unknown> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    timer = setTimeout(() => {
      running = step()
        .catch((error: unknown) => console.error("[sandbox] background step failed", error))
        .finally(() => {
          if (!stopped) schedule();
        });
    }, intervalMs);
    timer.unref();
  };
  schedule();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
