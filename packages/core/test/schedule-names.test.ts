import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isStackfleetError } from "../src/error";
import { atExpression, createClientToken, SCHEDULE_NAME_PATTERN, scheduleName } from "../src/schedule/names";
import { SCHEDULE_KINDS } from "../src/schedule/run-scheduler";

const kindArb = fc.constantFrom(...SCHEDULE_KINDS);
const attemptArb = fc.integer({ min: 1, max: 9999 });
const runIdArb = fc.oneof(
  fc.string({ minLength: 1, maxLength: 120 }),
  fc.string({ unit: "grapheme", minLength: 1, maxLength: 80 }),
  fc.stringMatching(/^run_[0-9A-Z]{26}$/),
  fc.stringMatching(/^x[0-9a-f]{40}$/),
);

describe("scheduleName", () => {
  it("keeps our run ids readable", () => {
    expect(scheduleName("run_01JDQ3ZV6C2T7RZ0W8M7G4Y2K1", "run", 1)).toBe("run_01JDQ3ZV6C2T7RZ0W8M7G4Y2K1.run.1");
    expect(scheduleName("run_01JDQ3ZV6C2T7RZ0W8M7G4Y2K1", "watch", 12)).toBe("run_01JDQ3ZV6C2T7RZ0W8M7G4Y2K1.watch.12");
  });

  it("is 1–64 characters of [0-9a-zA-Z-_.] for any run id", () => {
    fc.assert(
      fc.property(runIdArb, kindArb, attemptArb, (runId, kind, attempt) => {
        expect(scheduleName(runId, kind, attempt)).toMatch(SCHEDULE_NAME_PATTERN);
      }),
      { numRuns: 500 },
    );
  });

  it("is deterministic and gives different requests different names", () => {
    fc.assert(
      fc.property(fc.tuple(runIdArb, kindArb, attemptArb), fc.tuple(runIdArb, kindArb, attemptArb), (a, b) => {
        expect(scheduleName(...a)).toBe(scheduleName(...a));
        if (a[0] !== b[0] || a[1] !== b[1] || a[2] !== b[2]) expect(scheduleName(...a)).not.toBe(scheduleName(...b));
      }),
      { numRuns: 500 },
    );
  });

  it("never lets a run id that looks hashed collide with the hash of another id", () => {
    const hashedForm = scheduleName("run/with/slashes", "run", 1).split(".")[0] ?? "";
    expect(hashedForm).toMatch(/^x[0-9a-f]{40}$/);
    expect(scheduleName(hashedForm, "run", 1)).not.toBe(scheduleName("run/with/slashes", "run", 1));
  });

  it.each([0, -1, 1.5, 10_000, Number.NaN])("rejects attempt %s", (attempt) => {
    expect(() => scheduleName("run_1", "watch", attempt)).toThrow(expect.objectContaining({ kind: "input" }));
  });

  it("rejects an empty run id", () => {
    let thrown: unknown;
    try {
      scheduleName("", "run", 1);
    } catch (e) {
      thrown = e;
    }
    expect(isStackfleetError(thrown, "input")).toBe(true);
  });
});

describe("createClientToken", () => {
  it("is 64 hex characters and depends on group, name and time", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), (group, name, expression) => {
        const token = createClientToken(group, name, expression);
        expect(token).toMatch(/^[0-9a-f]{64}$/);
        expect(createClientToken(group, name, expression)).toBe(token);
      }),
    );
    const base = createClientToken("g", "run_1.run.1", "at(2026-01-01T00:00:00)");
    expect(createClientToken("g", "run_1.run.1", "at(2026-01-01T00:01:00)")).not.toBe(base);
    expect(createClientToken("h", "run_1.run.1", "at(2026-01-01T00:00:00)")).not.toBe(base);
  });
});

describe("atExpression", () => {
  it("formats UTC to the second", () => {
    expect(atExpression(new Date("2026-03-04T05:06:07.000Z"))).toBe("at(2026-03-04T05:06:07)");
  });

  it("rounds a fraction of a second up, never down", () => {
    expect(atExpression(new Date("2026-03-04T05:06:07.001Z"))).toBe("at(2026-03-04T05:06:08)");
    expect(atExpression(new Date("2026-12-31T23:59:59.999Z"))).toBe("at(2027-01-01T00:00:00)");
  });

  it("is never before the requested instant and at most a second after", () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.parse("2000-01-01"), max: Date.parse("2099-12-31") }), (ms) => {
        const text = /^at\((\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\)$/.exec(atExpression(new Date(ms)))?.[1];
        const fired = Date.parse(`${text}Z`);
        expect(fired).toBeGreaterThanOrEqual(ms);
        expect(fired - ms).toBeLessThan(1000);
      }),
    );
  });

  it("rejects an invalid date", () => {
    expect(() => atExpression(new Date("nope"))).toThrow(expect.objectContaining({ kind: "input" }));
  });
});
