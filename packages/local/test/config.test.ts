import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config";

describe("npm start options", () => {
  it("defaults to the real clock and production's grace", () => {
    const config = loadConfig([], {});
    expect(config).toMatchObject({ clock: "real", apiPort: 4100, dataDir: resolve(".stackfleet/data") });
    expect(config.graceMs).toBeUndefined();
  });

  it("--clock manual --grace 2m, and the same from the environment", () => {
    expect(loadConfig(["--clock", "manual", "--grace", "2m"], {})).toMatchObject({ clock: "manual", graceMs: 120_000 });
    expect(loadConfig([], { STACKFLEET_CLOCK: "manual", STACKFLEET_GRACE: "1h30m" })).toMatchObject({
      clock: "manual",
      graceMs: 5_400_000,
    });
    // A flag wins over the environment.
    expect(loadConfig(["--grace", "90s"], { STACKFLEET_GRACE: "1h" }).graceMs).toBe(90_000);
  });

  it("names the flag that is wrong", () => {
    expect(() => loadConfig(["--clock", "fast"], {})).toThrow(/^--clock: .*"real"\|"manual"/);
    expect(() => loadConfig(["--grace", "soon"], {})).toThrow(/^--grace: duration must look like/);
    expect(() => loadConfig(["--api-port", "http"], {})).toThrow(/^--api-port: /);
    expect(() => loadConfig(["--colour"], {})).toThrow(/--colour/);
  });
});
