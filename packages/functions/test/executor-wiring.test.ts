import { ExecutorConfig, fromEnv } from "@stackfleet/core/config";
import { describe, expect, it } from "vitest";
import { awsExecutorAdapters, EXECUTOR_TIMINGS } from "../src/wiring/executor";
import { executorEnv } from "./support/lambda-env";

const env = executorEnv;

describe("the executor's AWS wiring", () => {
  it("waits 20 s for its one look after ExecuteChangeSet unless the deployment says otherwise", () => {
    const byDefault = awsExecutorAdapters(fromEnv(ExecutorConfig, env));
    expect(byDefault.timings?.watchMs).toEqual({ ...EXECUTOR_TIMINGS.watchMs, first: 20_000 });
    const configured = awsExecutorAdapters(fromEnv(ExecutorConfig, { ...env, STACKFLEET_FIRST_WATCH_SECONDS: "45" }));
    expect(configured.timings?.watchMs).toEqual({ ...EXECUTOR_TIMINGS.watchMs, first: 45_000 });
  });

  it("refuses a first wait that would keep a Lambda sleeping for minutes", () => {
    expect(() => fromEnv(ExecutorConfig, { ...env, STACKFLEET_FIRST_WATCH_SECONDS: "900" })).toThrow(
      /STACKFLEET_FIRST_WATCH_SECONDS: /,
    );
  });
});
