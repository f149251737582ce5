import { actionCovers, conditionsCover, whenCovers } from "./coverage";
import type { TrustGrant } from "./policy-document";
import type { PermissionScope, TrustChange } from "./schema";
import { canonical, compareStrings } from "./values";

type Conditions = PermissionScope["conditions"];

type TrustAggregate = Omit<TrustGrant, "conditions"> & { conditions: Conditions[] };

function aggregateTrust(grants: TrustGrant[]): Map<string, TrustAggregate> {
  const out = new Map<string, TrustAggregate>();
  for (const g of grants) {
    const key = canonical([g.role, g.effect, g.action.toLowerCase(), g.trustedPrincipal, g.when]);
    const agg = out.get(key) ?? { ...g, conditions: [] };
    if (!agg.conditions.some((c) => canonical(c) === canonical(g.conditions))) agg.conditions.push(g.conditions);
    agg.conditions.sort((a, b) => compareStrings(canonical(a), canonical(b)));
    out.set(key, agg);
  }
  return out;
}

// `*` and `AWS:*` trust anyone; otherwise a principal covers only itself.
const principalCovers = (old: string, next: string) =>
  old === next || old === "*" || (old === "AWS:*" && next.startsWith("AWS:"));

function covered(pool: TrustAggregate[], agg: TrustAggregate, conditions: Conditions): boolean {
  return pool.some(
    (p) =>
      p.role === agg.role &&
      p.effect === agg.effect &&
      principalCovers(p.trustedPrincipal, agg.trustedPrincipal) &&
      actionCovers(p.action, agg.action) &&
      whenCovers(p.when, agg.when) &&
      p.conditions.some((c) => conditionsCover(c, conditions)),
  );
}

const hasExternalId = (c: Conditions) =>
  Object.values(c ?? {}).some((keys) => Object.keys(keys).some((k) => k.toLowerCase() === "sts:externalid"));

/**
 * Trust-policy changes per role. Broadening: a new trusted principal or action, a condition
 * (above all `sts:ExternalId`) removed or loosened, or a Deny removed or narrowed.
 */
export function diffTrust(oldGrants: TrustGrant[], newGrants: TrustGrant[]): TrustChange[] {
  const before = aggregateTrust(oldGrants);
  const after = aggregateTrust(newGrants);
  const [oldPool, newPool] = [[...before.values()], [...after.values()]];
  const changes: TrustChange[] = [];
  for (const key of [...new Set([...before.keys(), ...after.keys()])]) {
    const prev = before.get(key);
    const next = after.get(key);
    if (prev && next && canonical(prev.conditions) === canonical(next.conditions)) continue;
    const subject = (next ?? prev)!;
    const reasons: string[] = [];
    let broadening: boolean;
    if (subject.effect === "Allow") {
      broadening = next?.conditions.some((c) => !covered(oldPool, next, c)) ?? false;
      if (broadening && !prev) reasons.push("new trusted principal or action");
      if (broadening && (subject.trustedPrincipal === "*" || subject.trustedPrincipal === "AWS:*"))
        reasons.push("trusts any principal (*)");
      if (broadening && prev) reasons.push("trust conditions removed or loosened");
      const roleRequiredExternalId = oldPool.some(
        (p) => p.role === subject.role && p.effect === "Allow" && p.conditions.every(hasExternalId),
      );
      if (broadening && next && roleRequiredExternalId && !next.conditions.every(hasExternalId)) {
        reasons.push("sts:ExternalId condition removed");
      }
    } else {
      broadening = prev?.conditions.some((c) => !covered(newPool, prev, c)) ?? false;
      if (broadening) reasons.push(next ? "trust Deny narrowed" : "trust Deny removed");
    }
    changes.push({
      change: prev && next ? "modified" : next ? "added" : "removed",
      role: subject.role,
      effect: subject.effect,
      action: subject.action,
      trustedPrincipal: subject.trustedPrincipal,
      when: subject.when,
      conditionsBefore: prev?.conditions ?? null,
      conditionsAfter: next?.conditions ?? null,
      broadening,
      reasons,
    });
  }
  return changes.sort((a, b) =>
    compareStrings(
      canonical([a.role, a.action, a.trustedPrincipal]),
      canonical([b.role, b.action, b.trustedPrincipal]),
    ),
  );
}
