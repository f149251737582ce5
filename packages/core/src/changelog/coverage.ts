import type { PermissionScope } from "./schema";

/**
 * "Does the old grant already allow everything the new one does?" — the question behind
 * `permissionsBroadened`. Every answer errs towards "no": a change we cannot prove to be
 * narrower is reported as broadening, never the other way round.
 */

type Conditions = PermissionScope["conditions"];

const patternCache = new Map<string, RegExp>();

function patternRegex(pattern: string, caseInsensitive: boolean): RegExp {
  const cacheKey = `${caseInsensitive ? "i" : "s"}${pattern}`;
  let re = patternCache.get(cacheKey);
  if (!re) {
    const body = pattern
      .split("")
      // `?` matches one character, but not a `*` in the other pattern: that could be many.
      .map((c) => (c === "*" ? ".*" : c === "?" ? "[^*]" : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
      .join("");
    re = new RegExp(`^${body}$`, caseInsensitive ? "is" : "s");
    patternCache.set(cacheKey, re);
  }
  return re;
}

/** Whether IAM pattern `pattern` matches everything `value` (itself maybe a pattern) matches. */
export function patternCovers(pattern: string, value: string, caseInsensitive = false): boolean {
  if (pattern === value) return true;
  return patternRegex(pattern, caseInsensitive).test(value);
}

/** IAM actions are case-insensitive; `s3:Get*` covers `s3:GetObject` and `s3:get*acl`. */
export const actionCovers = (pattern: string, action: string) => patternCovers(pattern, action, true);

// Operators whose value list is a set of allowed values: fewer values is stricter. For the
// negated ones (`StringNotEquals`…) fewer values is looser, so only equality counts there.
const isAllowListOperator = (operator: string) => !/Not/.test(operator) && !/^Null$/.test(operator);

/** Whether the new condition block is at least as strict as the old one. */
export function conditionsCover(old: Conditions, next: Conditions): boolean {
  if (!old) return true;
  for (const [operator, keys] of Object.entries(old)) {
    for (const [key, values] of Object.entries(keys)) {
      const nextValues = next?.[operator]?.[key];
      if (!nextValues) return false;
      // Only the *Like and Arn* operators read `*` as a wildcard; StringEquals "a*" means "a*".
      const member = /Like|Arn/.test(operator)
        ? (o: string, v: string) => patternCovers(o, v)
        : (o: string, v: string) => o === v;
      const stricter = isAllowListOperator(operator)
        ? nextValues.every((v) => values.some((o) => member(o, v)))
        : nextValues.length === values.length && nextValues.every((v, i) => v === values[i]);
      if (!stricter) return false;
    }
  }
  return true;
}

/** Whether `old` reaches every resource that `next` reaches, under conditions no stricter. */
export function scopeCovers(old: PermissionScope, next: PermissionScope): boolean {
  if (!conditionsCover(old.conditions, next.conditions)) return false;
  if (old.notResources.length > 0) {
    // "Everything except X" covers "everything except more than X" and nothing we can prove else.
    return next.resources.length === 0 && old.notResources.every((r) => next.notResources.includes(r));
  }
  if (next.notResources.length > 0) return old.resources.includes("*");
  return next.resources.every((r) => old.resources.some((o) => patternCovers(o, r)));
}

/** Whether the conditions guarding `old` are implied by those guarding `next`. */
export const whenCovers = (old: string[], next: string[]) => old.every((c) => next.includes(c));

/** Action coverage including `NotAction` ("everything but"), answered conservatively. */
export function actionSetCovers(
  old: { action: string; notAction: boolean },
  next: { action: string; notAction: boolean },
): boolean {
  if (!old.notAction && !next.notAction) return actionCovers(old.action, next.action);
  if (!old.notAction) return old.action === "*";
  if (next.notAction) return actionCovers(next.action, old.action);
  // Old allowed everything but `old.action`: the new action is covered when the two cannot overlap.
  const service = (a: string) => a.split(":")[0]!.toLowerCase();
  return !old.action.startsWith("*") && service(old.action) !== service(next.action) && !next.action.startsWith("*");
}
