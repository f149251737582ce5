import { describe, expect, it } from "vitest";
import * as classic from "zod";
import { ExecutorConfig, fromEnv } from "../src/config";
import { parsePinnedKeys } from "../src/signing/pinned";
import * as z from "../src/zod-mini";

const issuesOf = (r: { success: boolean; error?: { issues: unknown } }) => r.error?.issues;

// core's schemas moved from classic zod to mini (src/zod-mini.ts, the executor's bundle budget);
// these pin the two rewrites that are not a plain method-to-check translation.
describe("core's zod mini", () => {
  it("words issues in English, as classic zod does", () => {
    const schema = z.strictObject({ a: z.string().check(z.minLength(2)), n: z.int().check(z.gte(1)) });
    const legacy = classic.strictObject({ a: classic.string().min(2), n: classic.int().min(1) });
    for (const input of [{ a: "x", n: 0 }, { b: 1 }, "x"]) {
      expect(issuesOf(z.safeParse(schema, input))).toEqual(issuesOf(legacy.safeParse(input)));
    }
    expect(JSON.stringify(issuesOf(z.safeParse(schema, { b: 1 })))).toMatch(/Unrecognized key: \\"b\\"/);
  });

  it("records a transform's issue as classic's `ctx.addIssue` did", () => {
    const fail = (json: string) => {
      throw new Error(`bad ${json}`);
    };
    const legacy = classic.string().transform((json, ctx) => {
      try {
        return fail(json);
      } catch (e) {
        ctx.addIssue({ code: "custom", message: (e as Error).message });
        return classic.NEVER;
      }
    });
    const schema = z.pipe(
      z.string(),
      z.transform((json, ctx) => {
        try {
          return fail(json);
        } catch (e) {
          ctx.issues.push({ code: "custom", message: (e as Error).message, input: json });
          return z.NEVER;
        }
      }),
    );
    expect(issuesOf(z.safeParse(schema, "x"))).toEqual(issuesOf(legacy.safeParse("x")));
    expect(issuesOf(z.safeParse(schema, 1))).toEqual(issuesOf(legacy.safeParse(1)));
  });

  it("builds coercedNumber and isoDateTime as z.coerce.number() and z.iso.datetime()", () => {
    const pairs = [
      [z.coercedNumber(), z.coerce.number(), ["12", " 7 ", "", "x", 3, null, "1e3", "Infinity"]],
      [
        z.isoDateTime(),
        z.iso.datetime(),
        [
          "2026-11-29T08:00:00.000Z",
          "2026-11-29T08:00:00Z",
          "2026-02-30T08:00:00Z",
          "2026-11-29T08:00:00+01:00",
          "2026-11-29",
          5,
        ],
      ],
    ] as const;
    for (const [ours, zods, inputs] of pairs)
      for (const input of inputs) {
        const [a, b] = [z.safeParse(ours, input), z.safeParse(zods, input)];
        expect(a.success ? a.data : a.error.issues, JSON.stringify(input)).toEqual(b.success ? b.data : b.error.issues);
      }
  });

  it("names the pinned-keys variable with parsePinnedKeys' own message", () => {
    let message = "";
    try {
      parsePinnedKeys("[]");
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/at least one key must be pinned/);
    expect(() => fromEnv(ExecutorConfig, { STACKFLEET_PINNED_KEYS: "[]" })).toThrow(
      `STACKFLEET_PINNED_KEYS: ${message}`,
    );
  });
});
