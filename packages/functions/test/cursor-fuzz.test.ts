import { createHmac } from "node:crypto";
import { Publish } from "@stackfleet/core/version";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { tableSnapshot } from "../../../test/support/store";
import { createTestApi, type TestApi, testTemplate } from "./support/api";

/**
 * Registration issue, cursors: every authorised list route (found in the OpenAPI document, so a
 * new list is covered by construction) refuses every cursor it did not issue for exactly this
 * caller and query — random strings, well-shaped tokens with a wrong MAC, cursors of another
 * route, another tenant, other filters, another key, truncated, bit-flipped or spliced — with
 * 400 `invalid_cursor` (or 400 `invalid_request` past the documented length), never a 5xx, always
 * the error contract, and the table unchanged. `FUZZ_FULL=1` runs 5,000 cursors per route.
 */

type Json = Record<string, any>;
interface ListRoute {
  path: string;
  operatorOnly: boolean;
  tenantScoped: boolean;
  filters: string[];
}
interface Probe {
  route: ListRoute;
  /** Query entries other than the cursor, the caller and the URL. */
  query: Array<[string, string]>;
  caller: "tenantA" | "tenantB" | "operator";
}

const PER_ROUTE = process.env.FUZZ_FULL ? 5_000 : 150;
const ErrorBody = z.strictObject({ error: z.strictObject({ code: z.string().min(1), message: z.string().min(1) }) });

let api: TestApi;
let routes: ListRoute[];
let auth: Record<Probe["caller"], string>;
let integrationA: string;
/** Genuine cursors, keyed by `probe` label: what each caller was handed on page one. */
const issued = new Map<string, string>();
const counts = new Map<string, { requests: number; statuses: Record<number, number> }>();

const label = (p: Probe) => `${p.caller} ${p.route.path}${JSON.stringify(p.query)}`;
const fill = (path: string) => path.replace("{id}", integrationA).replace("{version}", "1.0.0");

async function get(p: Probe, cursor?: string, limit = 1) {
  const entries: Array<[string, string]> = [...p.query, ["limit", String(limit)]];
  if (cursor !== undefined) entries.push(["cursor", cursor]);
  const res = await api.app.request(`${fill(p.route.path)}?${new URLSearchParams(entries)}`, {
    headers: { authorization: auth[p.caller] },
  });
  return { status: res.status, text: await res.text(), type: res.headers.get("content-type") ?? "" };
}

const snapshot = (): Promise<Json[]> => tableSnapshot(api.store);

/** The caller and query a route is listed with: the tenant routes as tenant A, the rest as an operator. */
function probesOf(route: ListRoute): Probe[] {
  if (route.operatorOnly) {
    const probes: Probe[] = [{ route, caller: "operator", query: [] }];
    if (route.filters.includes("tenantId")) probes.push({ route, caller: "operator", query: [["tenantId", "ten_a"]] });
    return probes;
  }
  return [
    { route, caller: "tenantA", query: [] },
    ...(route.path.includes("{id}") ? [] : [{ route, caller: "tenantB" as const, query: [] }]),
  ];
}

/** Cursors that look like ours but were never issued for `probe`, each with what is wrong with it. */
function forgeries(probe: Probe): fc.Arbitrary<{ how: string; cursor: string }> {
  const own = issued.get(label(probe));
  const others = [...issued.entries()].filter(([k]) => k !== label(probe)).map(([, v]) => v);
  const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64url");
  const payload = (inner: string) => b64(Buffer.from(JSON.stringify({ v: 1, k: inner })));
  const options: Array<fc.Arbitrary<{ how: string; cursor: string }>> = [
    fc.string({ maxLength: 200 }).map((cursor) => ({ how: "random text", cursor })),
    fc.string({ unit: "binary", maxLength: 60 }).map((cursor) => ({ how: "random unicode", cursor })),
    fc
      .tuple(fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.uint8Array({ minLength: 32, maxLength: 32 }))
      .map(([p, m]) => ({ how: "well-shaped, random MAC", cursor: `${b64(p)}.${b64(m)}` })),
    fc.tuple(fc.json({ maxDepth: 2 }), fc.uint8Array({ minLength: 32, maxLength: 32 })).map(([inner, key]) => {
      // A MAC under a key the attacker chose: the format is public, the key is not.
      const p = payload(inner);
      return {
        how: "signed with another key",
        cursor: `${p}.${createHmac("sha256", key).update(p).digest("base64url")}`,
      };
    }),
    fc.constantFrom("", ".", "..", "null", "%00", "a.b", "x".repeat(4097)).map((cursor) => ({ how: "edge", cursor })),
  ];
  if (others.length > 0) {
    options.push(fc.constantFrom(...others).map((cursor) => ({ how: "issued for another caller or query", cursor })));
    options.push(
      fc.constantFrom(...others).map((other) => {
        const [p] = other.split(".");
        const [, m] = (own ?? other).split(".");
        return { how: "spliced payload and MAC", cursor: `${p}.${m}` };
      }),
    );
  }
  if (own) {
    options.push(
      fc.nat({ max: own.length - 1 }).map((i) => {
        const c = own[i] === "A" ? "B" : "A";
        return { how: `byte ${i} changed`, cursor: own.slice(0, i) + c + own.slice(i + 1) };
      }),
      fc.nat({ max: own.length - 1 }).map((n) => ({ how: "truncated", cursor: own.slice(0, n) })),
      fc.string({ minLength: 1, maxLength: 8 }).map((s) => ({ how: "appended", cursor: own + s })),
    );
  }
  return fc.oneof(...options);
}

beforeAll(async () => {
  api = await createTestApi();
  const h = (claims: Parameters<TestApi["headersFor"]>[0]) => api.headersFor(claims).then((x) => x.authorization!);
  auth = {
    tenantA: await h({ role: "tenant-admin", tenantId: "ten_a" }),
    tenantB: await h({ role: "tenant-admin", tenantId: "ten_b" }),
    operator: await h({ role: "operator", subject: "ops@acme" }),
  };
  // Enough of everything that page one of each list has a next page to steal.
  for (const version of ["1.0.0", "1.1.0"])
    await Publish.publish(
      api.deps,
      api.deps.publishing,
      { templateBytes: new TextEncoder().encode(testTemplate(version)), version },
      "system:cursor-fuzz",
    );
  const create = async (caller: "tenantA" | "tenantB", accountId: string) => {
    const res = await api.app.request("/v1/integrations", {
      method: "POST",
      headers: { authorization: auth[caller], "content-type": "application/json" },
      body: JSON.stringify({ accountId, region: "eu-west-1" }),
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { id: string }).id;
  };
  integrationA = await create("tenantA", "333333333333");
  for (const account of ["333333333334", "333333333335"]) await create("tenantA", account);
  for (const account of ["444444444444", "444444444445"]) await create("tenantB", account);
  for (const body of [{ autoUpdate: false }, { autoUpdate: true }])
    await api.app.request(`/v1/integrations/${integrationA}`, {
      method: "PATCH",
      headers: { authorization: auth.tenantA, "content-type": "application/json" },
      body: JSON.stringify(body),
    });

  const doc = api.app.getOpenAPI31Document({ openapi: "3.1.0", info: { title: "fuzz", version: "1" } }) as Json;
  routes = [];
  for (const [path, item] of Object.entries(doc.paths as Json)) {
    const op = (item as Json).get;
    const params = (op?.parameters ?? []) as Json[];
    if (!op || !params.some((p) => p.in === "query" && p.name === "cursor")) continue;
    const query = params.filter((p) => p.in === "query").map((p) => p.name as string);
    routes.push({
      path,
      operatorOnly: /\(operators\)/.test(op.summary ?? ""),
      tenantScoped: query.includes("tenantId"),
      filters: query.filter((n) => n !== "cursor" && n !== "limit"),
    });
  }
  for (const probe of routes.flatMap(probesOf)) {
    const first = await get(probe);
    expect(first.status, `${label(probe)}: ${first.text}`).toBe(200);
    const cursor = (JSON.parse(first.text) as { cursor: string | null }).cursor;
    if (cursor) issued.set(label(probe), cursor);
  }
});

afterAll(() => {
  expect(api?.errors).toEqual([]);
  console.info(`cursor fuzz: ${JSON.stringify(Object.fromEntries(counts))}`);
});

describe("list cursors under forgery", () => {
  it("finds every list route, and a genuine cursor to steal from most of them", () => {
    expect(routes.map((r) => r.path)).toEqual(
      expect.arrayContaining(["/v1/integrations", "/v1/versions", "/v1/events", "/v1/fleet/integrations"]),
    );
    expect(routes.length).toBeGreaterThanOrEqual(6);
    expect(issued.size).toBeGreaterThanOrEqual(5);
  });

  it("a genuine cursor works, for exactly the caller and query it was issued to", async () => {
    for (const probe of routes.flatMap(probesOf)) {
      const own = issued.get(label(probe));
      if (!own) continue;
      const next = await get(probe, own);
      expect(next.status, `${label(probe)}: ${next.text}`).toBe(200);
    }
  });

  it(
    "refuses every forged, foreign or damaged cursor with a 400 and changes nothing",
    async () => {
      const before = await snapshot();
      for (const probe of routes.flatMap(probesOf)) {
        const tally = { requests: 0, statuses: {} as Record<number, number> };
        counts.set(label(probe), tally);
        const own = issued.get(label(probe));
        await fc.assert(
          fc.asyncProperty(
            forgeries(probe).filter((f) => f.cursor !== own),
            async ({ how, cursor }) => {
              const res = await get(probe, cursor);
              tally.requests++;
              tally.statuses[res.status] = (tally.statuses[res.status] ?? 0) + 1;
              const where = `${label(probe)} ${how} ${JSON.stringify(cursor.slice(0, 120))} → ${res.status} ${res.text}`;
              expect(res.status, where).toBe(400);
              expect(res.type, where).toMatch(/^application\/json/);
              const body = ErrorBody.parse(JSON.parse(res.text));
              expect(body.error.code, where).toBe(cursor.length > 4096 ? "invalid_request" : "invalid_cursor");
            },
          ),
          { numRuns: PER_ROUTE, ...(process.env.FUZZ_SEED ? { seed: Number(process.env.FUZZ_SEED) } : {}) },
        );
      }
      expect(await snapshot(), "items written or changed by refused list requests").toEqual(before);
    },
    PER_ROUTE * 400,
  );
});
