import { describe, expect, it } from "vitest";
import { actorOf, canAccessTenant, type Principal, requireOperator, tenantScope } from "../src/auth/index";

const alice: Principal = { subject: "alice", role: "tenant-admin", tenantId: "ten_A" };
const ops: Principal = { subject: "ops", role: "operator" };

describe("tenantScope", () => {
  it("gives a tenant-admin its own tenant, named or not", () => {
    expect(tenantScope(alice)).toBe("ten_A");
    expect(tenantScope(alice, "ten_A")).toBe("ten_A");
  });

  it("answers a tenant-admin naming another tenant with not found, not forbidden", () => {
    expect(() => tenantScope(alice, "ten_B")).toThrow(
      expect.objectContaining({ kind: "not_found", code: "tenant_not_found" }),
    );
  });

  it("makes an operator name the tenant", () => {
    expect(tenantScope(ops, "ten_B")).toBe("ten_B");
    expect(() => tenantScope(ops)).toThrow(expect.objectContaining({ kind: "input", code: "tenant_required" }));
  });
});

describe("canAccessTenant", () => {
  it("lets a tenant-admin see only its own tenant's items, and an operator any", () => {
    expect([canAccessTenant(alice, "ten_A"), canAccessTenant(alice, "ten_B"), canAccessTenant(ops, "ten_B")]).toEqual([
      true,
      false,
      true,
    ]);
  });
});

describe("requireOperator", () => {
  it("is forbidden (operator_required) for a tenant-admin and passes an operator", () => {
    expect(() => requireOperator(alice)).toThrow(
      expect.objectContaining({ kind: "forbidden", code: "operator_required" }),
    );
    expect(() => requireOperator(ops)).not.toThrow();
  });
});

describe("actorOf", () => {
  it("records tenant-admins by tenant and operators by subject", () => {
    expect([actorOf(alice), actorOf(ops)]).toEqual(["tenant:ten_A", "operator:ops"]);
  });
});
