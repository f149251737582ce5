import { ExecutorConfig, fromEnv } from "@stackfleet/core/config";
import { describe, expect, it } from "vitest";
import { awsExecutorAdapters, EXECUTOR_TIMINGS } from "../src/wiring/executor";
import { executorEnv } from "./support/lambda-env";

const env = executorEnv;

describe("the executor's AWS wiring", () => {
  it("reads an executed update 60 s after the go unless the deployment says otherwise", () => {
    const byDefault = awsExecutorAdapters(fromEnv(ExecutorConfig, env));
    expect(byDefault.timings?.watchMs).toEqual({ ...EXECUTOR_TIMINGS.watchMs, first: 60_000 });
    const configured = awsExecutorAdapters(fromEnv(ExecutorConfig, { ...env, STACKFLEET_FIRST_WATCH_SECONDS: "45" }));
    expect(configured.timings?.watchMs).toEqual({ ...EXECUTOR_TIMINGS.watchMs, first: 45_000 });
  });

  it("refuses a first watch so soon that a duplicate delivery could pass for it", () => {
    expect(() => fromEnv(ExecutorConfig, { ...env, STACKFLEET_FIRST_WATCH_SECONDS: "20" })).toThrow(
      /STACKFLEET_FIRST_WATCH_SECONDS: /,
    );
  });
});
