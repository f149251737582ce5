import type { PermissionScope } from "./schema";
import { expandIf, type Guarded, isObject, mergeWhen, render, renderList, unwrapIf } from "./values";

/** One action granted or denied to one principal under one scope: the unit we compare. */
export type Grant = {
  principal: string;
  /** The policy it came from, for display only: moves between policies are not changes. */
  source: string;
  effect: "Allow" | "Deny";
  action: string;
  notAction: boolean;
  when: string[];
  scope: PermissionScope;
};

/** One principal trusted (or denied) by a role's trust policy for one action. */
export type TrustGrant = {
  role: string;
  effect: "Allow" | "Deny";
  action: string;
  trustedPrincipal: string;
  when: string[];
  conditions: PermissionScope["conditions"];
};

type Statement = Record<string, unknown>;

/**
 * Expands a list whose elements may each be `Fn::If`-guarded, element by element, so an
 * unguarded element stays unconditional instead of being duplicated under both branches.
 * Elements that contain further lists (inline policies) are only unwrapped at their root.
 */
export function expandList(value: unknown, when: string[], expandItem: typeof expandIf = expandIf): Guarded<unknown>[] {
  const out: Guarded<unknown>[] = [];
  if (value === undefined) return out;
  for (const list of unwrapIf(value, when)) {
    const items = Array.isArray(list.value) ? list.value : [list.value];
    for (const item of items) if (item !== undefined) out.push(...expandItem(item, list.when));
  }
  return out;
}

function statementsOf(document: unknown, when: string[]): Guarded<Statement>[] {
  const out: Guarded<Statement>[] = [];
  for (const doc of unwrapIf(document, when)) {
    if (!isObject(doc.value)) continue;
    for (const s of expandList(doc.value.Statement, doc.when)) {
      if (isObject(s.value)) out.push({ when: s.when, value: s.value });
    }
  }
  return out;
}

function effectOf(statement: Statement): "Allow" | "Deny" {
  return statement.Effect === "Deny" ? "Deny" : "Allow";
}

/** Condition block with sorted operators, keys and value lists; null when absent or empty. */
export function normaliseConditions(value: unknown): PermissionScope["conditions"] {
  if (!isObject(value)) return null;
  const out: NonNullable<PermissionScope["conditions"]> = {};
  for (const operator of Object.keys(value).sort()) {
    const block = value[operator];
    if (!isObject(block)) continue;
    const keys: Record<string, string[]> = {};
    for (const key of Object.keys(block).sort()) keys[key] = renderList(block[key]);
    if (Object.keys(keys).length > 0) out[operator] = keys;
  }
  return Object.keys(out).length > 0 ? out : null;
}

/**
 * Flattens a permission policy document into grants, one per action, for each principal it
 * is attached to. Principals and the document may be guarded by different conditions; a grant
 * applies when both hold.
 */
export function grantsFromDocument(
  document: unknown,
  principals: Guarded<string>[],
  source: string,
  when: string[],
): Grant[] {
  const grants: Grant[] = [];
  for (const statement of statementsOf(document, when)) {
    const s = statement.value;
    const notAction = s.Action === undefined && s.NotAction !== undefined;
    const actions = renderList(notAction ? s.NotAction : s.Action);
    const scope: PermissionScope = {
      resources: renderList(s.Resource),
      notResources: renderList(s.NotResource),
      conditions: normaliseConditions(s.Condition),
    };
    for (const principal of principals) {
      const combined = mergeWhen(statement.when, principal.when);
      if (!combined) continue;
      for (const action of actions) {
        grants.push({
          principal: principal.value,
          source,
          effect: effectOf(s),
          action,
          notAction,
          when: combined,
          scope,
        });
      }
    }
  }
  return grants;
}

// IAM treats a bare account id as that account's root principal.
function normalisePrincipal(type: string, value: string): string {
  if (type === "AWS" && /^\d{12}$/.test(value)) return `AWS:arn:aws:iam::${value}:root`;
  return `${type}:${value}`;
}

function trustedPrincipals(statement: Statement): string[] {
  const notPrefix = statement.Principal === undefined && statement.NotPrincipal !== undefined ? "Not" : "";
  const principal = notPrefix ? statement.NotPrincipal : statement.Principal;
  if (principal === "*") return [`${notPrefix}*`];
  if (!isObject(principal)) return principal === undefined ? [] : [`${notPrefix}${render(principal)}`];
  const out: string[] = [];
  for (const type of Object.keys(principal).sort()) {
    for (const value of renderList(principal[type])) out.push(`${notPrefix}${normalisePrincipal(type, value)}`);
  }
  return out;
}

/** Flattens a role's `AssumeRolePolicyDocument` into one entry per (action, trusted principal). */
export function trustFromDocument(document: unknown, role: string, when: string[]): TrustGrant[] {
  const out: TrustGrant[] = [];
  for (const statement of statementsOf(document, when)) {
    const s = statement.value;
    const conditions = normaliseConditions(s.Condition);
    for (const action of renderList(s.Action ?? s.NotAction)) {
      for (const trustedPrincipal of trustedPrincipals(s)) {
        out.push({ role, effect: effectOf(s), action, trustedPrincipal, when: statement.when, conditions });
      }
    }
  }
  return out;
}
