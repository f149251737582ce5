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
