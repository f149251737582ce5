import { actionSetCovers, scopeCovers, whenCovers } from "./coverage";
import type { Grant } from "./policy-document";
import type { PermissionEntry, PermissionModification, PermissionScope } from "./schema";
import { canonical, compareStrings } from "./values";

/** All grants of one action to one principal under one set of template conditions. */
export type Aggregate = {
  principal: string;
  effect: "Allow" | "Deny";
  action: string;
  notAction: boolean;
  when: string[];
  policies: string[];
  scopes: PermissionScope[];
};

const keyOf = (g: { principal: string; effect: string; action: string; notAction: boolean; when: string[] }) =>
  canonical([g.principal, g.effect, g.action.toLowerCase(), g.notAction, g.when]);

const scopeIdentity = (s: PermissionScope) => canonical([s.notResources, s.conditions]);

/**
 * Groups grants per (principal, effect, action, when): the policy they sit in and the order
 * of statements stop mattering, and statements with the same conditions pool their resources.
 */
export function aggregate(grants: Grant[]): Map<string, Aggregate> {
  const out = new Map<string, Aggregate>();
  for (const g of grants) {
    const key = keyOf(g);
    let agg = out.get(key);
    if (!agg) {
      agg = {
        principal: g.principal,
        effect: g.effect,
        action: g.action,
        notAction: g.notAction,
        when: g.when,
        policies: [],
        scopes: [],
      };
      out.set(key, agg);
    }
    if (!agg.policies.includes(g.source)) agg.policies.push(g.source);
    const same = agg.scopes.find((s) => scopeIdentity(s) === scopeIdentity(g.scope));
    if (same) same.resources = [...new Set([...same.resources, ...g.scope.resources])].sort();
    else agg.scopes.push({ ...g.scope, resources: [...g.scope.resources] });
  }
  for (const agg of out.values()) {
    agg.policies.sort();
    agg.scopes.sort((a, b) => compareStrings(canonical(a), canonical(b)));
  }
  return mergeComplementaryBranches(out);
}

const branchKey = (a: Aggregate) => canonical([a.principal, a.effect, a.action.toLowerCase(), a.notAction, a.scopes]);

/**
 * `!If [C, x, x]` grants x under C and under !C: that is x unconditionally. Only grants alike in
 * everything but their guard can pair, so candidates are grouped first (templates of a few
 * hundred actions made the all-pairs search take seconds).
 */
function mergeComplementaryBranches(aggs: Map<string, Aggregate>): Map<string, Aggregate> {
  for (let pair = findComplementary(aggs); pair; pair = findComplementary(aggs)) {
    const [[key, a], [partnerKey, b]] = pair;
    const when = complementary(a.when, b.when)!;
    aggs.delete(key);
    aggs.delete(partnerKey);
    const combined = { ...a, when, policies: [...new Set([...a.policies, ...b.policies])].sort() };
    const existing = aggs.get(keyOf(combined));
    if (existing)
      existing.scopes = [
        ...existing.scopes,
        ...combined.scopes.filter((s) => !existing.scopes.some((e) => canonical(e) === canonical(s))),
      ];
    else aggs.set(keyOf(combined), combined);
  }
  return aggs;
}

function findComplementary(aggs: Map<string, Aggregate>) {
  const groups = new Map<string, Array<[string, Aggregate]>>();
  for (const entry of aggs) {
    const group = groups.get(branchKey(entry[1]));
    if (group) group.push(entry);
    else groups.set(branchKey(entry[1]), [entry]);
  }
  for (const group of groups.values())
    for (let i = 0; i < group.length; i++)
      for (let j = i + 1; j < group.length; j++)
        if (complementary(group[i]![1].when, group[j]![1].when) !== undefined) return [group[i]!, group[j]!] as const;
  return undefined;
}

function complementary(a: string[], b: string[]): string[] | undefined {
  if (a.length !== b.length) return undefined;
  const onlyA = a.filter((c) => !b.includes(c));
  const onlyB = b.filter((c) => !a.includes(c));
  if (onlyA.length !== 1 || onlyB.length !== 1) return undefined;
  const [x, y] = [onlyA[0]!, onlyB[0]!];
  return x === `!${y}` || y === `!${x}` ? a.filter((c) => c !== x) : undefined;
}

/** Whether some grant in `pool` (same principal and effect) covers `scope` of `agg`. */
function coveredBy(pool: Aggregate[], agg: Aggregate, scope: PermissionScope): boolean {
  return pool.some(
    (p) =>
      p.principal === agg.principal &&
      p.effect === agg.effect &&
      whenCovers(p.when, agg.when) &&
      actionSetCovers(p, agg) &&
      p.scopes.some((s) => scopeCovers(s, scope)),
  );
}

function wildcardReasons(agg: Aggregate): string[] {
  const reasons: string[] = [];
  if (agg.notAction) reasons.push(`NotAction ${agg.action}: every other action`);
  else if (agg.action.includes("*")) reasons.push(`wildcard action ${agg.action}`);
  if (agg.scopes.some((s) => s.resources.includes("*"))) reasons.push("all resources (*)");
  if (agg.scopes.some((s) => s.notResources.length > 0)) reasons.push("NotResource: every other resource");
  return reasons;
}

const isWildcard = (agg: Aggregate) => wildcardReasons(agg).length > 0;

export type PermissionDiff = {
  added: PermissionEntry[];
  removed: PermissionEntry[];
  modified: PermissionModification[];
};

export function diffPermissions(oldGrants: Grant[], newGrants: Grant[]): PermissionDiff {
  const before = aggregate(oldGrants);
  const after = aggregate(newGrants);
  const oldPool = [...before.values()];
  const newPool = [...after.values()];
  const diff: PermissionDiff = { added: [], removed: [], modified: [] };

  const entry = (agg: Aggregate, broadening: boolean, reasons: string[]): PermissionEntry => ({
    principal: agg.principal,
    effect: agg.effect,
    action: agg.action,
    notAction: agg.notAction,
    when: agg.when,
    policies: agg.policies,
    scopes: agg.scopes,
    wildcard: isWildcard(agg),
    broadening,
    reasons,
  });

  const { pairs, onlyAdded, onlyRemoved } = pairGuardChanges(
    [...after].filter(([key]) => !before.has(key)).map(([, a]) => a),
    [...before].filter(([key]) => !after.has(key)).map(([, a]) => a),
  );
  // Grants kept as they were: an added Allow they already cover changes nothing the principal can do.
  const unchanged = newPool.filter((a) => canonical(before.get(keyOf(a))?.scopes) === canonical(a.scopes));
  for (const agg of onlyAdded.filter((a) => !redundant(a, unchanged))) {
    const broadening = agg.effect === "Allow" && agg.scopes.some((s) => !coveredBy(oldPool, agg, s));
    const reasons = broadening ? ["new Allow not covered by the previous version", ...wildcardReasons(agg)] : [];
    diff.added.push(entry(agg, broadening, reasons));
  }
  // A removed Allow that another grant of the new version still covers is not a lost permission.
  for (const agg of onlyRemoved.filter((a) => !redundant(a, newPool))) {
    const broadening = agg.effect === "Deny" && agg.scopes.some((s) => !coveredBy(newPool, agg, s));
    diff.removed.push(entry(agg, broadening, broadening ? ["Deny removed"] : []));
  }
  for (const [prev, next] of pairs) diff.modified.push(modification(prev, next, oldPool, newPool));
  for (const [key, next] of after) {
    const prev = before.get(key);
    if (!prev || canonical(prev.scopes) === canonical(next.scopes)) continue;
    diff.modified.push(modification(prev, next, oldPool, newPool));
  }
  return diff;
}

/**
 * An Allow of an action that another grant of the same action to the same principal in `pool`
 * already allows in full (another policy, or fewer conditions). Only the same action as
 * written counts: `s3:Get*` replacing `s3:GetObject` is still shown as the change it is.
 */
function redundant(agg: Aggregate, pool: Aggregate[]): boolean {
  if (agg.effect !== "Allow") return false;
  const others = pool.filter((p) => keyOf(p) !== keyOf(agg) && identityOf(p) === identityOf(agg));
  return agg.scopes.every((s) => coveredBy(others, agg, s));
}

const identityOf = (a: Aggregate) => canonical([a.principal, a.effect, a.action.toLowerCase(), a.notAction]);

/**
 * The same grant whose guard (an `Fn::If` branch or a resource `Condition`) changed shows up
 * once as removed and once as added: pair them into one modification with both guards.
 */
function pairGuardChanges(added: Aggregate[], removed: Aggregate[]) {
  const pairs: Array<[Aggregate, Aggregate]> = [];
  const onlyRemoved = [...removed];
  const onlyAdded: Aggregate[] = [];
  for (const next of added) {
    const i = onlyRemoved.findIndex((prev) => identityOf(prev) === identityOf(next));
    if (i === -1) onlyAdded.push(next);
    else pairs.push([onlyRemoved.splice(i, 1)[0]!, next]);
  }
  return { pairs, onlyAdded, onlyRemoved };
}

function modification(
  prev: Aggregate,
  next: Aggregate,
  oldPool: Aggregate[],
  newPool: Aggregate[],
): PermissionModification {
  const union = (a: Aggregate) =>
    new Set(a.scopes.flatMap((s) => [...s.resources, ...s.notResources.map((r) => `NOT ${r}`)]));
  const [was, is] = [union(prev), union(next)];
  const conditionSet = (a: Aggregate) =>
    a.scopes
      .map((s) => canonical(s.conditions))
      .sort()
      .join("|");
  const guardChanged = canonical(prev.when) !== canonical(next.when);
  const conditionsChanged = conditionSet(prev) !== conditionSet(next);
  const reasons: string[] = [];
  let broadening: boolean;
  if (next.effect === "Allow") {
    broadening = next.scopes.some((s) => !coveredBy(oldPool, next, s));
    if (broadening) {
      if ([...is].some((r) => !was.has(r))) reasons.push("Allow reaches more resources");
      if (conditionsChanged) reasons.push("conditions removed or loosened");
      if (guardChanged) reasons.push("applies under fewer template conditions");
      reasons.push(...wildcardReasons(next));
    }
  } else {
    broadening = prev.scopes.some((s) => !coveredBy(newPool, prev, s));
    if (broadening) reasons.push("Deny narrowed");
  }
  return {
    principal: next.principal,
    effect: next.effect,
    action: next.action,
    notAction: next.notAction,
    when: next.when,
    ...(guardChanged ? { whenBefore: prev.when } : {}),
    policies: next.policies,
    before: prev.scopes,
    after: next.scopes,
    resourcesAdded: [...is].filter((r) => !was.has(r)).sort(),
    resourcesRemoved: [...was].filter((r) => !is.has(r)).sort(),
    conditionsChanged,
    wildcard: isWildcard(next),
    broadening,
    reasons,
  };
}
