import { newCursorKey, open, seal } from "@stackfleet/core/db/cursor";
import { isStackfleetError } from "@stackfleet/core/error";
import { describe, expect, it } from "vitest";

const key = newCursorKey();
const scope = { route: "integrations", tenantId: "ten_a" };
const inner = Buffer.from(JSON.stringify({ pk: "$stackfleet#tenantid_ten_a", sk: "x" })).toString("base64url");

const refusal = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    return isStackfleetError(error, "input") ? error.code : `unexpected: ${String(error)}`;
  }
  return "accepted";
};

describe("page cursors", () => {
  it("round-trip ElectroDB's cursor for the same scope and key", () => {
    const token = seal(key, scope, inner);
    expect(token).not.toContain(inner);
    expect(open(key, scope, token ?? undefined)).toBe(inner);
  });

  it("keep the last page and the first page as they are", () => {
    expect(seal(key, scope, null)).toBeNull();
    expect(open(key, scope, undefined)).toBeNull();
  });

  it("are refused for another tenant, route, filter or key", () => {
    const token = seal(key, { ...scope, filters: { integrationId: "int_1" } }, inner) ?? "";
    expect(open(key, { ...scope, filters: { integrationId: "int_1" } }, token)).toBe(inner);
    expect(refusal(() => open(key, { ...scope, tenantId: "ten_b", filters: { integrationId: "int_1" } }, token))).toBe(
      "invalid_cursor",
    );
    expect(refusal(() => open(key, { ...scope, route: "events", filters: { integrationId: "int_1" } }, token))).toBe(
      "invalid_cursor",
    );
    expect(refusal(() => open(key, { ...scope, filters: { integrationId: "int_2" } }, token))).toBe("invalid_cursor");
    expect(refusal(() => open(key, scope, token))).toBe("invalid_cursor");
    expect(refusal(() => open(newCursorKey(), { ...scope, filters: { integrationId: "int_1" } }, token))).toBe(
      "invalid_cursor",
    );
  });

  it("are refused when forged, truncated or tampered with", () => {
    const token = seal(key, scope, inner) ?? "";
    const [payload = "", signature = ""] = token.split(".");
    const forged = Buffer.from(JSON.stringify({ v: 1, k: "eyJwayI6IngifQ" })).toString("base64url");
    for (const bad of [
      "abc",
      "",
      inner,
      `${forged}.${signature}`,
      // a different final character (a fixed "A" would be the genuine one in 1 token of 16)
      `${payload}.${signature.slice(0, -1)}${signature.endsWith("A") ? "E" : "A"}`,
      `${payload}x.${signature}`,
      token.slice(0, -1),
      `${token}.`,
      "a".repeat(5000),
    ]) {
      expect(
        refusal(() => open(key, scope, bad)),
        bad.slice(0, 40),
      ).toBe("invalid_cursor");
    }
  });

  it("has one spelling: a MAC whose last character differs only in base64's padding bits is refused", () => {
    const token = seal(key, scope, inner) ?? "";
    const [payload = "", signature = ""] = token.split(".");
    // 32 bytes are 43 characters: the last one carries 2 unused bits, so flipping the lowest one
    // decodes to the same bytes. Accepting it would make cursors malleable.
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const last = alphabet.indexOf(signature.at(-1)!);
    const twin = `${payload}.${signature.slice(0, -1)}${alphabet[last ^ 1]}`;
    expect(Buffer.from(twin.split(".")[1]!, "base64url")).toEqual(Buffer.from(signature, "base64url"));
    expect(refusal(() => open(key, scope, twin))).toBe("invalid_cursor");
  });
});
