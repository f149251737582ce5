import { createRoute, z } from "@hono/zod-openapi";
import { describe, expect, it } from "vitest";
import { bearerAuth, requireAuth } from "../src/api/auth";
import { renderSchema } from "../src/api/docs-schema";
import { router } from "../src/api/env";
import { createTestApi } from "./support/api";

async function docsPage(extra?: ReturnType<typeof router>) {
  const { app } = await createTestApi();
  if (extra) app.route("/", extra);
  return app.request("/docs");
}

describe("GET /docs", () => {
  it("is a self-contained HTML page listing the health route", async () => {
    const res = await docsPage();
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
    const html = await res.text();
    expect(html).toContain("<code>/health</code>");
    expect(html).toContain("Liveness and store reachability");
    expect(html).toMatch(/id="tag-health"/);
    // Nothing fetched from elsewhere: no scripts, stylesheets or images.
    expect(html).not.toMatch(/<script|<link|<img|src=/i);
  });

  it("shows parameters, the request body schema, responses and the lock on protected routes", async () => {
    const Thing = z
      .object({ name: z.string().describe("What to call it"), size: z.number().int().optional() })
      .openapi("Thing");
    const extra = router().openapi(
      createRoute({
        method: "post",
        path: "/v1/things/{thingId}",
        tags: ["things"],
        summary: "Replace a <thing>",
        security: bearerAuth,
        middleware: [requireAuth()],
        request: {
          params: z.object({ thingId: z.string().regex(/^thg_/) }),
          body: { content: { "application/json": { schema: Thing } }, required: true },
        },
        responses: { 200: { description: "Replaced", content: { "application/json": { schema: Thing } } } },
      }),
      (c) => c.json({ name: "x" }, 200),
    );
    const html = await (await docsPage(extra)).text();
    expect(html).toContain('<span class="method post">POST</span> <code>/v1/things/{thingId}</code>');
    expect(html).toContain("🔒");
    expect(html).toContain("Replace a &lt;thing&gt;");
    expect(html).toContain("<code>thingId</code>");
    expect(html).toContain("/^thg_/");
    expect(html).toContain('<a href="#schema-Thing">Thing</a>');
    expect(html).toMatch(/id="schema-Thing"[\s\S]*name: string;[\s\S]*What to call it[\s\S]*size\?: integer;/);
    expect(html).toContain("<b>200</b> Replaced");
  });
});

describe("renderSchema", () => {
  it("renders arrays, enums, nullable unions and maps compactly", () => {
    expect(renderSchema({ type: "array", items: { type: "string", enum: ["a", "b"] } })).toBe(
      "(&quot;a&quot; | &quot;b&quot;)[]",
    );
    expect(renderSchema({ type: ["string", "null"] })).toBe("string | null");
    expect(renderSchema({ type: "object", additionalProperties: { type: "boolean" } })).toBe(
      "{ [key: string]: boolean }",
    );
  });
});
