import { Publish } from "@stackfleet/core/version";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { tableSnapshot } from "../../../test/support/store";
import { createTestApi, type TestApi, testTemplate } from "./support/api";
import { createTestAuth } from "./support/auth";

/**
 * Security invariant 5 under fire: thousands of malformed or unauthorised requests to every route
 * of the OpenAPI document (new routes are picked up automatically), and for each one: never a
 * 5xx, every error body exactly `{ error: { code, message } }`, and the table unchanged (compared
 * with a Scan before and after each property; only the audit of refused callbacks may be added).
 * Requests are refused by construction: a bad or missing token, the wrong principal, or at least
 * one defect in the input — so any 2xx on a non-GET route is itself a failure.
 */

type Json = Record<string, any>;
interface Parameter {
  name: string;
  in: "path" | "query";
  schema: Json;
}
interface Operation {
  method: string;
  /** OpenAPI form: `/v1/integrations/{id}`. */
  path: string;
  summary: string;
  secured: boolean;
  /** The API's convention: operator-only routes say "(operators)" in their summary. */
  operatorOnly: boolean;
  params: Parameter[];
  body?: { required: boolean; schema: Json };
}
interface FuzzRequest {
  label: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

const TENANT_A = "ten_a";
const TENANT_B = "ten_b";
const SEEDED_VERSION = "1.0.0";
const READ_ONLY = new Set(["GET", "HEAD"]);

const ErrorBody = z.strictObject({ error: z.strictObject({ code: z.string().min(1), message: z.string().min(1) }) });

let api: TestApi;
let operations: Operation[];
let integrationA: string;
let tokens: { tenantA: string; tenantB: string; operator: string; bad: string[] };
const runs = { total: 0, byStatus: new Map<number, number>() };

/** The whole table, in a stable order. */
const snapshot = (): Promise<Json[]> => tableSnapshot(api.store);

/** Runs a property and checks that it left the table as it found it (refusal audits excepted when allowed). */
async function withoutStateChange(property: () => Promise<void>, allowed: (added: Json) => boolean = () => false) {
  const before = await snapshot();
  await property();
  const after = await snapshot();
  const key = (i: Json) => `${i.pk}|${i.sk}`;
  const beforeKeys = new Set(before.map(key));
  const added = after.filter((i) => !beforeKeys.has(key(i)));
  expect(
    added.filter((i) => !allowed(i)),
    "items written by refused requests",
  ).toEqual([]);
  expect(
    after.filter((i) => beforeKeys.has(key(i))),
    "items changed by refused requests",
  ).toEqual(before);
  return added;
}

function resolve(schema: Json, doc: Json): Json {
  const ref = schema?.$ref as string | undefined;
  return ref ? resolve(doc.components.schemas[ref.split("/").pop()!], doc) : schema;
}

function operationsOf(doc: Json): Operation[] {
  const found: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths as Json)) {
    for (const [method, op] of Object.entries(item as Json)) {
      const body = op.requestBody?.content?.["application/json"]?.schema;
      found.push({
        method: method.toUpperCase(),
        path,
        summary: op.summary ?? "",
        secured: Array.isArray(op.security) && op.security.length > 0,
        operatorOnly: /\(operators\)/.test(op.summary ?? ""),
        params: (op.parameters ?? []).map((p: Json) => ({ name: p.name, in: p.in, schema: resolve(p.schema, doc) })),
        ...(body ? { body: { required: op.requestBody.required === true, schema: resolve(body, doc) } } : {}),
      });
    }
  }
  return found;
}

// ---------- arbitraries ----------

const anyText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.constantFrom(
    "",
    " ",
    "../../etc/passwd",
    "%00",
    "%E0%A4%A",
    "int_",
    "null",
    "undefined",
    "__proto__",
    "constructor",
    "' OR 1=1 --",
    "${jndi:ldap://x}",
    "\u0000",
    "💥",
    "ten_a",
    "ten_b",
  ),
  fc.nat({ max: 70_000 }).map((n) => "x".repeat(n)),
);
const anyJson = fc.jsonValue({ maxDepth: 3 });
const notJsonText = fc
  .oneof(fc.constantFrom("{", "[1,", "{'a':1}", "undefined", "NaN", '{"a":}', "\u0000"), fc.string({ maxLength: 30 }))
  .filter((t) => {
    try {
      JSON.parse(t);
      return false;
    } catch {
      return true;
    }
  });
const validIdFormat = fc.stringMatching(/^int_[0-9A-HJKMNP-TV-Z]{26}$/);

/** A value of the wrong JSON type for a schema (anyOf schemas have no single wrong type: none). */
function wrongTypeFor(schema: Json): fc.Arbitrary<unknown> | undefined {
  const nonString = fc.oneof(
    fc.integer(),
    fc.double({ noNaN: true }),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.string(), { maxLength: 3 }),
    fc.object({ maxDepth: 1 }),
  );
  switch (schema.type) {
    case "string":
      return nonString;
    case "boolean":
      return fc.oneof(
        fc.integer(),
        fc.string().filter((s) => s !== "true" && s !== "false"),
        fc.constant(null),
        fc.object({ maxDepth: 1 }),
        fc.array(fc.boolean(), { maxLength: 3 }),
      );
    case "integer":
    case "number":
      return fc.oneof(fc.string(), fc.boolean(), fc.constant(null), fc.object({ maxDepth: 1 }));
    case "array":
      return fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.object({ maxDepth: 1 }));
    case "object":
      return fc.oneof(fc.string(), fc.integer(), fc.array(fc.integer(), { maxLength: 3 }));
    default:
      return undefined;
  }
}

/** A string the schema refuses (pattern, enum or maxLength), when it has such a constraint. */
function invalidStringFor(schema: Json): fc.Arbitrary<string> | undefined {
  if (schema.type !== "string") return undefined;
  const options: Array<fc.Arbitrary<string>> = [];
  if (schema.pattern) {
    const pattern = new RegExp(schema.pattern as string);
    options.push(anyText.filter((s) => !pattern.test(s)));
  }
  if (Array.isArray(schema.enum)) options.push(anyText.filter((s) => !schema.enum.includes(s)));
  if (typeof schema.maxLength === "number")
    options.push(fc.integer({ min: schema.maxLength + 1, max: schema.maxLength + 5_000 }).map((n) => "é".repeat(n)));
  return options.length > 0 ? fc.oneof(...options) : undefined;
}

/** Random properties, mostly the schema's own names with any values. */
function looseObject(schema: Json): fc.Arbitrary<Json> {
  const names = Object.keys(schema.properties ?? {});
  const known =
    names.length > 0 ? fc.dictionary(fc.constantFrom(...names), anyJson, { maxKeys: names.length }) : fc.constant({});
  return known;
}

/** JSON bodies that the operation's schema must refuse, each with the reason why. */
function invalidBodies(schema: Json): Array<fc.Arbitrary<{ defect: string; body: string; contentType?: string }>> {
  const json = (defect: string, value: fc.Arbitrary<unknown>) =>
    value.map((v) => ({ defect, body: JSON.stringify(v) }));
  const out: Array<fc.Arbitrary<{ defect: string; body: string; contentType?: string }>> = [
    notJsonText.filter((t) => t.length > 0).map((body) => ({ defect: "malformed JSON", body })),
    json(
      "not an object",
      fc.oneof(fc.array(anyJson, { maxLength: 3 }), fc.integer(), fc.string(), fc.boolean(), fc.constant(null)),
    ),
    fc
      .tuple(
        looseObject(schema),
        fc.constantFrom(
          "text/plain",
          "application/x-www-form-urlencoded",
          "multipart/form-data; boundary=x",
          "application/xml",
          "",
          "application/jsonx",
        ),
      )
      .map(([v, contentType]) => ({
        defect: `content-type ${contentType || "(empty)"}`,
        body: JSON.stringify(v) || "{}",
        contentType,
      })),
  ];
  for (const [name, property] of Object.entries((schema.properties ?? {}) as Record<string, Json>)) {
    const wrong = wrongTypeFor(property);
    if (wrong)
      out.push(
        fc
          .tuple(looseObject(schema), wrong)
          .map(([v, bad]) => ({ defect: `${name}: wrong type`, body: JSON.stringify({ ...v, [name]: bad }) })),
      );
    const invalid = invalidStringFor(property);
    if (invalid)
      out.push(
        fc
          .tuple(looseObject(schema), invalid)
          .map(([v, bad]) => ({ defect: `${name}: invalid string`, body: JSON.stringify({ ...v, [name]: bad }) })),
      );
  }
  for (const name of (schema.required ?? []) as string[]) {
    out.push(
      looseObject(schema).map((v) => ({
        defect: `${name}: missing`,
        body: JSON.stringify(Object.fromEntries(Object.entries(v).filter(([k]) => k !== name))),
      })),
    );
  }
  if (schema.additionalProperties === false) {
    const names = new Set(Object.keys(schema.properties ?? {}));
    out.push(
      fc
        .tuple(
          looseObject(schema),
          fc.string({ minLength: 1, maxLength: 20 }).filter((k) => !names.has(k) && k !== "__proto__"),
          anyJson,
        )
        .map(([v, k, extra]) => ({
          defect: `extra property ${JSON.stringify(k)}`,
          body: JSON.stringify({ ...v, [k]: extra }),
        })),
    );
  }
  return out;
}

const fillPath = (path: string, values: Record<string, string>, encode = true) =>
  path.replace(/\{(\w+)\}/g, (_, name: string) =>
    encode ? encodeURIComponent(values[name] ?? "") : (values[name] ?? ""),
  );

/** A well-formed value for a path parameter: the seeded resources. */
const seededParam = (name: string) => (name === "id" ? integrationA : name === "version" ? SEEDED_VERSION : "x");

/** A URL normaliser removes "." and ".." segments: the request would reach another route. */
const isPathSegment = (s: string) => s.length > 0 && s !== "." && s !== "..";

/** Any value for a path parameter: seeded, valid-looking but unknown, or junk. */
const anyParam = (name: string) =>
  fc.oneof(
    fc.constant(seededParam(name)),
    name === "id" ? validIdFormat : fc.constantFrom("9.9.9", "0.0.1-rc.1"),
    anyText.filter(isPathSegment),
  );

/**
 * A well-formed but unknown (or malformed) value for a path parameter. An integration's id must be
 * found first; under an integration, a well-formed unknown version may legitimately be a no-op
 * (un-skipping a version never skipped), so only malformed versions count as a defect there.
 */
const unknownParam = (op: Operation, name: string): fc.Arbitrary<string> =>
  name === "id"
    ? validIdFormat.filter((id) => id !== integrationA)
    : op.path.includes("{id}")
      ? fc.constantFrom("v1.0.0", "1.0", "=1.0.0", "01.0.0", "1.0.0.0")
      : fc.constantFrom("9.9.9", "0.0.1-rc.1", "v1.0.0", "1.0", "=1.0.0");

const queryOf = (entries: Array<[string, string]>) =>
  entries.length === 0 ? "" : `?${new URLSearchParams(entries).toString()}`;

const anyQuery = (op: Operation) =>
  fc.array(
    fc.tuple(
      fc.oneof(
        fc.constantFrom(...op.params.filter((p) => p.in === "query").map((p) => p.name), "tenantId", "limit", "cursor"),
        fc.string({ maxLength: 10 }),
      ),
      anyText,
    ),
    { maxLength: 3 },
  );

const anyBody = (op: Operation) =>
  op.body
    ? fc.option(
        fc.oneof(
          looseObject(op.body.schema).map((v) => JSON.stringify(v)),
          anyJson.map((v) => JSON.stringify(v)),
          notJsonText,
        ),
        { nil: undefined },
      )
    : fc.constant(undefined);

function request(
  op: Operation,
  label: string,
  params: Record<string, string>,
  query: Array<[string, string]>,
  auth: string | undefined,
  body?: string,
  contentType = "application/json",
): FuzzRequest {
  const headers: Record<string, string> = {};
  if (auth !== undefined) headers.authorization = auth;
  if (body !== undefined && contentType) headers["content-type"] = contentType;
  return {
    label,
    method: op.method,
    url: fillPath(op.path, params) + queryOf(query),
    headers,
    ...(body !== undefined ? { body } : {}),
  };
}

// ---------- the oracle ----------

async function send(req: FuzzRequest): Promise<{ status: number; body: unknown }> {
  let url: URL;
  try {
    url = new URL(req.url, "http://localhost");
  } catch {
    fc.pre(false); // not a request a client can send
    throw new Error("unreachable");
  }
  const res = await api.app.request(url.pathname + url.search, {
    method: req.method,
    headers: req.headers,
    ...(req.body !== undefined && !READ_ONLY.has(req.method) ? { body: req.body } : {}),
  });
  const text = await res.text();
  runs.total++;
  runs.byStatus.set(res.status, (runs.byStatus.get(res.status) ?? 0) + 1);
  const where = `${req.label}: ${req.method} ${req.url.slice(0, 200)} → ${res.status} ${text.slice(0, 300)}`;
  expect(res.status, where).toBeLessThan(500);
  if (res.status >= 400 && req.method !== "HEAD") {
    let parsed: unknown;
    expect(() => (parsed = JSON.parse(text)), where).not.toThrow();
    expect(ErrorBody.safeParse(parsed).success, where).toBe(true);
    expect(res.headers.get("content-type") ?? "", where).toMatch(/^application\/json/);
  }
  return { status: res.status, body: text };
}

/** `FUZZ_FULL=1`: ten times the CI-sized runs, so the callback route alone sees 5,000 forgeries. */
const SCALE = process.env.FUZZ_FULL ? 10 : 1;
if (process.env.FUZZ_FULL) vi.setConfig({ testTimeout: 3_600_000 });

const property = <T>(arb: fc.Arbitrary<T>, check: (t: T) => Promise<void>, numRuns: number) =>
  fc.assert(fc.asyncProperty(arb, check), {
    numRuns: numRuns * SCALE,
    ...(process.env.FUZZ_SEED ? { seed: Number(process.env.FUZZ_SEED) } : {}),
    endOnFailure: false,
  });

beforeAll(async () => {
  api = await createTestApi();
  const tenantA = await api.headersFor({ role: "tenant-admin", tenantId: TENANT_A });
  const tenantB = await api.headersFor({ role: "tenant-admin", tenantId: TENANT_B });
  const operator = await api.headersFor({ role: "operator", subject: "ops@acme" });

  // Something to refuse access to: tenant A's integration and a published version.
  const template = testTemplate(SEEDED_VERSION);
  const json = (headers: Record<string, string>, body: unknown) => ({
    method: "POST",
    headers: { ...headers, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  // Published through core, not the route: this file tests refusals, not publishing.
  await Publish.publish(
    api.deps,
    api.deps.publishing,
    { templateBytes: new TextEncoder().encode(template), version: SEEDED_VERSION },
    "system:fuzz-seed",
  );
  const created = await api.app.request(
    "/v1/integrations",
    json(tenantA, { accountId: "333333333333", region: "eu-west-1" }),
  );
  expect(created.status).toBe(201);
  integrationA = ((await created.json()) as { id: string }).id;

  // Tokens the API must refuse: expired, signed by another key, tampered, malformed.
  api.store.clock.advance(-3 * 3600_000);
  const expired = (await api.headersFor({ role: "operator" })).authorization!;
  api.store.clock.advance(3 * 3600_000);
  const foreign = (await (await createTestAuth(api.store.now)).headersFor({ role: "operator" })).authorization!;
  const [header, , signature] = tenantA.authorization!.slice("Bearer ".length).split(".");
  const escalated = Buffer.from(
    JSON.stringify({ sub: "x", role: "operator", iss: "stackfleet-local", aud: "stackfleet-api", exp: 4102444800 }),
  ).toString("base64url");
  const none = `${Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url")}.${escalated}.`;
  tokens = {
    tenantA: tenantA.authorization!,
    tenantB: tenantB.authorization!,
    operator: operator.authorization!,
    bad: [
      expired,
      foreign,
      `Bearer ${header}.${escalated}.${signature}`,
      `Bearer ${none}`,
      "Bearer",
      "Bearer ",
      "bearer x.y.z",
      "Basic b3BzOmFjbWU=",
      `Bearer ${"a".repeat(9000)}`,
      "Token abc",
      tenantA.authorization!.replace("Bearer ", "Bearer  x"),
    ],
  };

  operations = operationsOf(
    api.app.getOpenAPI31Document({ openapi: "3.1.0", info: { title: "fuzz", version: "1" } }) as Json,
  );
});

afterAll(() => {
  // Nothing unhandled reached the error log (that would have been a 500).
  expect(api?.errors).toEqual([]);
  console.info(
    `fuzz: ${runs.total} requests, statuses ${JSON.stringify(Object.fromEntries([...runs.byStatus].sort()))}`,
  );
});

describe("the API under malformed and unauthorised requests", () => {
  it("covers every documented route, and knows which are operator-only and which take a token", () => {
    const ids = operations.map((o) => `${o.method} ${o.path}`);
    expect(ids).toEqual(
      expect.arrayContaining([
        "POST /v1/integrations",
        "PATCH /v1/integrations/{id}",
        "POST /v1/callbacks/registration",
        "POST /v1/versions",
        "POST /v1/controls/halt",
      ]),
    );
    expect(operations.filter((o) => o.operatorOnly).map((o) => `${o.method} ${o.path}`)).toEqual(
      expect.arrayContaining([
        "POST /v1/versions",
        "POST /v1/versions/{version}/halt",
        "POST /v1/controls/halt",
        "GET /v1/controls",
      ]),
    );
    // Only the callback (authenticated by ExternalId + AssumeRole) and the public endpoints go without a token.
    expect(
      operations
        .filter((o) => !o.secured)
        .map((o) => `${o.method} ${o.path}`)
        .sort(),
    ).toEqual(["GET /health", "POST /v1/callbacks/registration"]);
  });

  it("answers 401 to every secured route without a valid token, whatever the request", async () => {
    const secured = operations.filter((o) => o.secured);
    const arb = fc.constantFrom(...secured).chain((op) =>
      fc
        .record({
          params: fc.record(
            Object.fromEntries(op.params.filter((p) => p.in === "path").map((p) => [p.name, anyParam(p.name)])),
          ),
          query: anyQuery(op),
          auth: fc.option(fc.constantFrom(...tokens.bad), { nil: undefined }),
          body: anyBody(op),
        })
        .map((r) => ({ op, ...r })),
    );
    await withoutStateChange(() =>
      property(
        arb,
        async ({ op, params, query, auth, body }) => {
          const res = await send(request(op, "no valid token", params as Record<string, string>, query, auth, body));
          expect(res.status, `${op.method} ${op.path} with ${auth?.slice(0, 40)}`).toBe(401);
        },
        500,
      ),
    );
  });

  it("refuses the wrong principal: a tenant on operator routes (403), another tenant's ids or tenant (404)", async () => {
    const operatorOnly = operations.filter((o) => o.operatorOnly);
    const tenantRoutes = operations.filter(
      (o) => o.secured && !o.operatorOnly && o.params.some((p) => p.name === "tenantId"),
    );
    const tenantOnOperatorRoute = fc.constantFrom(...operatorOnly).chain((op) =>
      fc
        .record({
          params: fc.record(
            Object.fromEntries(op.params.filter((p) => p.in === "path").map((p) => [p.name, anyParam(p.name)])),
          ),
          query: anyQuery(op),
          body: anyBody(op),
          auth: fc.constantFrom(tokens.tenantA, tokens.tenantB),
        })
        .map((r) => ({ op, ...r, expected: [403], label: "tenant on operator route" })),
    );
    // Valid bodies included: only the principal is wrong. Tenant B names A's id, or A's tenant.
    const otherTenant = fc.constantFrom(...tenantRoutes).chain((op) =>
      fc
        .record({
          body: op.body
            ? fc.oneof(
                fc.constant(JSON.stringify({ accountId: "444444444444", region: "eu-west-2" })),
                fc.constant(JSON.stringify({ autoUpdate: false })),
                anyBody(op),
              )
            : fc.constant(undefined),
          scope: fc.constantFrom("B names A's id", "B names tenant A", "operator names tenant B for A's id"),
        })
        .map(({ body, scope }) => {
          const hasId = op.path.includes("{id}");
          const query: Array<[string, string]> =
            scope === "B names tenant A" || !hasId
              ? [["tenantId", TENANT_A]]
              : scope.startsWith("operator")
                ? [["tenantId", TENANT_B]]
                : [];
          const auth = scope.startsWith("operator") && hasId ? tokens.operator : tokens.tenantB;
          // A body the schema refuses is a 400 before the handler looks the integration up.
          return { op, params: { id: integrationA }, query, body, auth, expected: [404, 400], label: scope };
        }),
    );
    await withoutStateChange(() =>
      property(
        fc.oneof(tenantOnOperatorRoute, otherTenant),
        async ({ op, params, query, body, auth, expected, label }) => {
          const res = await send(request(op, label, params as Record<string, string>, query, auth, body));
          expect(
            expected,
            `${label}: ${op.method} ${op.path} → ${res.status} ${String(res.body).slice(0, 200)}`,
          ).toContain(res.status);
          if (res.status === 404 && op.body && body?.includes("444444444444"))
            expect(String(res.body)).toMatch(/tenant_not_found|integration_not_found/);
        },
        500,
      ),
    );
  });

  it("answers malformed input from a permitted caller with a 4xx and changes nothing", async () => {
    // Per route, the defects it can have; a non-GET route with none would let a valid request through.
    const defectsOf = (op: Operation) => {
      const out: Array<
        fc.Arbitrary<{
          defect: string;
          params: Record<string, string>;
          query: Array<[string, string]>;
          body?: string;
          contentType?: string;
        }>
      > = [];
      const pathParams = op.params.filter((p) => p.in === "path");
      const seeded = Object.fromEntries(pathParams.map((p) => [p.name, seededParam(p.name)]));
      const scoped: Array<[string, string]> =
        op.secured && !op.operatorOnly && op.params.some((p) => p.name === "tenantId") ? [["tenantId", TENANT_A]] : [];
      const validBody = op.body?.required ? "{}" : undefined;
      for (const p of pathParams) {
        out.push(
          fc
            .oneof(
              invalidStringFor(p.schema) ?? anyText.filter((t) => t !== seededParam(p.name)),
              unknownParam(op, p.name),
            )
            .map((value) => ({
              defect: `${p.name}: unknown or invalid`,
              params: { ...seeded, [p.name]: value },
              query: scoped,
              body: validBody,
            })),
        );
      }
      for (const q of op.params.filter((p) => p.in === "query" && p.name !== "tenantId")) {
        const bad =
          invalidStringFor(q.schema) ??
          (q.schema.type === "integer"
            ? fc.oneof(
                fc.constantFrom("0", "-1", "101", "1.5", "1e3", "NaN", "Infinity", ""),
                fc.string().filter((s) => !/^\d+$/.test(s) || Number(s) < 1 || Number(s) > 100),
              )
            : undefined);
        if (bad)
          out.push(
            bad.map((value) => ({
              defect: `query ${q.name}`,
              params: seeded,
              query: [...scoped, [q.name, value]],
              body: validBody,
            })),
          );
      }
      if (scoped.length > 0) {
        out.push(
          anyText
            .filter((t) => t !== TENANT_A)
            .map((t) => ({ defect: "another tenantId", params: seeded, query: [["tenantId", t]], body: validBody })),
        );
      }
      if (op.body)
        out.push(
          ...invalidBodies(op.body.schema).map((arb) => arb.map((b) => ({ ...b, params: seeded, query: scoped }))),
        );
      return out;
    };
    const withDefects = operations.map((op) => ({ op, defects: defectsOf(op) }));
    const unguarded = withDefects
      .filter(({ op, defects }) => !READ_ONLY.has(op.method) && defects.length === 0)
      .map(({ op }) => `${op.method} ${op.path}`);
    expect(unguarded, "mutating routes this fuzzer cannot make invalid").toEqual([]);

    const arb = fc
      .constantFrom(...withDefects.filter((w) => w.defects.length > 0))
      .chain(({ op, defects }) => fc.oneof(...defects).map((d) => ({ op, ...d })));
    await withoutStateChange(() =>
      property(
        arb,
        async ({ op, defect, params, query, body, contentType }) => {
          const auth = !op.secured ? undefined : op.operatorOnly ? tokens.operator : tokens.tenantA;
          const res = await send(request(op, defect, params, query, auth, body, contentType));
          if (!READ_ONLY.has(op.method))
            expect(
              res.status,
              `${defect}: ${op.method} ${op.path} → ${res.status} ${String(res.body).slice(0, 300)}`,
            ).toBeGreaterThanOrEqual(400);
        },
        700,
      ),
    );
  });

  it("refuses forged registration callbacks (wrong ExternalId, account or roles) and writes nothing", async () => {
    const role = (account: string) =>
      fc.stringMatching(/^[A-Za-z0-9+=,.@_-]{1,40}$/).map((name) => `arn:aws:iam::${account}:role/${name}`);
    const account = fc.oneof(fc.constant("333333333333"), fc.stringMatching(/^\d{12}$/));
    const forged = fc
      .record({
        requestType: fc.constantFrom("Create", "Update", "Delete"),
        externalId: fc.stringMatching(/^[\w+=,.@:/-]{2,80}$/),
        accountId: account,
        region: fc.constantFrom("eu-west-1", "us-east-1"),
        integrationRoleArn: account.chain(role),
        updateRoleArn: fc.option(account.chain(role), { nil: null }),
        serviceRoleArn: fc.option(account.chain(role), { nil: null }),
        stackId: fc.constant("arn:aws:cloudformation:eu-west-1:333333333333:stack/Acme-integration/1"),
        stackName: fc.constant("Acme-integration"),
        templateVersion: fc.constantFrom("1.0.0", "9.9.9"),
        enableAutoUpdate: fc.constantFrom(true, false, "true", "false"),
      })
      .chain((callback) =>
        fc.record({
          callback: fc.constant(callback),
          extra: fc.dictionary(fc.string({ maxLength: 10 }), anyJson, { maxKeys: 2 }),
        }),
      );
    const callbackOp = operations.find((o) => o.path === "/v1/callbacks/registration")!;
    const added = await withoutStateChange(
      () =>
        property(
          forged,
          async ({ callback, extra }) => {
            const res = await send(
              request(callbackOp, "forged callback", {}, [], undefined, JSON.stringify({ ...extra, ...callback })),
            );
            expect([400, 403], String(res.body)).toContain(res.status);
          },
          200,
        ),
      (item) => item.action === "registration.refused",
    );
    // The seeded integration is pending: it holds no account yet and no forged ExternalId names it,
    // so unauthenticated callbacks about its account write nothing at all (a metric only).
    expect(added).toEqual([]);
  });

  it("survives random methods, paths, headers and bodies", async () => {
    const paths = operations.map((o) => o.path);
    const arb = fc.record({
      method: fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD", "PURGE"),
      path: fc.oneof(
        fc
          .tuple(fc.constantFrom(...paths), anyText, fc.boolean())
          .map(([p, v, encode]) => fillPath(p, { id: v, version: v }, encode)),
        fc
          .array(anyText, { minLength: 1, maxLength: 5 })
          .map((segments) => `/${segments.map(encodeURIComponent).join("/")}`),
        fc.constantFrom(
          "/",
          "//v1//integrations",
          "/v1/integrations/",
          "/V1/INTEGRATIONS",
          "/v1/integrations/%2e%2e/versions",
          "/v1/integrations?tenantId=ten_a&tenantId=ten_b",
          "/openapi.json/x",
          "/v1/versions/1.0.0/%2Fhalt",
        ),
      ),
      // Never a valid token with a seeded id here: random requests must not be able to act.
      auth: fc.option(fc.constantFrom(...tokens.bad, tokens.tenantB), { nil: undefined }),
      contentType: fc.option(
        fc.constantFrom(
          "application/json",
          "text/plain",
          "application/json; charset=utf-16",
          "*/*",
          "application/x-www-form-urlencoded",
        ),
        { nil: undefined },
      ),
      body: fc.option(
        fc.oneof(
          anyJson.map((v) => JSON.stringify(v)),
          notJsonText,
          anyText,
        ),
        { nil: undefined },
      ),
    });
    await withoutStateChange(() =>
      property(
        arb,
        async ({ method, path, auth, contentType, body }) => {
          const headers: Record<string, string> = {};
          if (auth) headers.authorization = auth;
          if (contentType) headers["content-type"] = contentType;
          const res = await send({
            label: "random",
            method,
            url: path,
            headers,
            ...(body !== undefined ? { body } : {}),
          });
          if (!READ_ONLY.has(method) && method !== "OPTIONS")
            expect(res.status, `${method} ${path}`).toBeGreaterThanOrEqual(400);
        },
        500,
      ),
    );
  });
});
