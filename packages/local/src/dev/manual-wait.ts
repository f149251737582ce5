import type { Sandbox } from "@stackfleet/sandbox/index";

type ManualClock = Extract<Sandbox["clock"], { kind: "manual" }>;

/**
 * The executor's wait on the sandbox's manual clock: time moves `ms` in steps, stopping at every
 * stack phase boundary, so CloudFormation work (custom resources included) gets as far as it would
 * in that much time — a stack operation only advances when the engine is called or ticked. Fires
 * no schedule: the executor waiting here is itself inside a firing.
 */
export async function waitOnManualClock(clock: ManualClock, engine: Sandbox["engine"], ms: number): Promise<void> {
  const target = clock.now().getTime() + ms;
  for (;;) {
    await engine.tick();
    const wake = engine.nextWake()?.getTime();
    if (wake === undefined || wake > target || wake <= clock.now().getTime()) break;
    clock.set(new Date(wake));
  }
  clock.set(new Date(Math.max(target, clock.now().getTime())));
  await engine.tick();
}
