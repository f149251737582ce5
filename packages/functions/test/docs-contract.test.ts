import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CORE_ERROR_CODES } from "../src/api/error-codes";
import { EVENT_ACTIONS } from "../src/api/event-names";
import { createTestApi } from "./support/api";

const CORE_SRC = join(import.meta.dirname, "../../core/src");
const coreSources = (dir = CORE_SRC): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? coreSources(join(dir, e.name))
      : e.name.endsWith(".ts")
        ? [readFileSync(join(dir, e.name), "utf8")]
        : [],
  );
const collect = (patterns: RegExp[]) =>
  new Set(coreSources().flatMap((text) => patterns.flatMap((p) => [...text.matchAll(p)].map((m) => m[1] ?? ""))));

type Json = Record<string, any>;
const openApi = async () => (await (await (await createTestApi()).app.request("/openapi.json")).json()) as Json;

describe("the OpenAPI document", () => {
  it("orders its tags by the user's journey and every operation has a declared one", async () => {
    const doc = await openApi();
    const tags = doc.tags.map((t: { name: string }) => t.name);
    expect(tags.slice(0, 6)).toEqual([
      "integrations",
      "events",
      "versions",
      "rollouts",
      "customer controls",
      "controls",
    ]);
    expect(tags.indexOf("callbacks")).toBeGreaterThan(tags.indexOf("controls"));
    for (const [path, item] of Object.entries<Json>(doc.paths))
      for (const [method, op] of Object.entries<Json>(item)) expect(tags, `${method} ${path}`).toContain(op.tags[0]);
  });

  it("refers every failure of our routes to the one shared Error response", async () => {
    const doc = await openApi();
    expect(doc.components.responses.Error.content["application/json"].example.error.code).toBeTypeOf("string");
    for (const [path, item] of Object.entries<Json>(doc.paths)) {
      for (const [method, op] of Object.entries<Json>(item))
        for (const [status, response] of Object.entries<Json>(op.responses))
          if (Number(status) >= 400)
            expect(response, `${method} ${path} ${status}`).toEqual({ $ref: "#/components/responses/Error" });
    }
  });

  it("enumerates run states, integration statuses and event names", async () => {
    const schemas = (await openApi()).components.schemas;
    expect(schemas.Run.properties.state.enum).toContain("watching");
    expect(schemas.Integration.properties.status.enum).toEqual(["pending", "connected", "access-lost", "removed"]);
    expect(schemas.Event.properties.action.enum).toContain("integration.connected");
    expect(schemas.Error.properties.error.properties.code.enum).toContain("invalid_cursor");
  });

  it("never shows where templates are stored", async () => {
    const text = JSON.stringify(await openApi());
    expect(text).not.toMatch(/"location"|templateLocation/);
  });
});

describe("the documented enumerations match core's sources", () => {
  it("lists every error code core throws, and no code core lost", () => {
    const thrown = collect([
      /\b(?:inputError|notFound|conflict|forbidden|unauthenticated)\(\s*"([a-z_]+)"/g,
      /new StackfleetError\(\s*"[a-z_]+",\s*"([a-z_]+)"/g,
    ]);
    expect([...thrown].filter((c) => !(CORE_ERROR_CODES as readonly string[]).includes(c))).toEqual([]);
    expect(CORE_ERROR_CODES.filter((c) => !thrown.has(c))).toEqual([]);
  });

  it("lists every literal event name core records", () => {
    const written = collect([
      /\baction: "([a-z][a-z.-]+)"/g,
      /"((?:maintenance-window|auto-update|rollouts)\.[a-z-]+)"/g,
    ]);
    expect([...written].filter((a) => !(EVENT_ACTIONS as readonly string[]).includes(a))).toEqual([]);
  });
});
