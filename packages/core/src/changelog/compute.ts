import { parseTemplate, type Template } from "../template/parse";
import { whenCovers } from "./coverage";
import { type IamModel, iamModel } from "./iam-model";
import { normaliseTemplate } from "./normalise";
import { diffPermissions } from "./permissions";
import { detectRenames, renameTemplate } from "./renames";
import type { BoundaryChange, Changelog, ManagedPolicyAttachment, PermissionEntry } from "./schema";
import { diffTemplateSections } from "./template-diff";
import { diffTrust } from "./trust";
import { canonical, compareStrings } from "./values";

export type ChangelogLabels = { from?: string; to?: string };

/**
 * The changelog from `source` to `target`: any two versions, not only neighbours. Both are
 * parsed templates, so syntax (JSON or YAML, quoting, key order, comments) never shows up.
 */
export function computeChangelog(source: Template, target: Template, labels: ChangelogLabels = {}): Changelog {
  const [before, after] = [normaliseTemplate(source), normaliseTemplate(target)];
  const renames = detectRenames(before, after);
  const renamedBefore = renameTemplate(before, renames);
  const [oldIam, newIam] = [iamModel(renamedBefore), iamModel(after)];

  const permissions = diffPermissions(oldIam.grants, newIam.grants);
  const trust = diffTrust(oldIam.trust, newIam.trust);
  const managedPolicies = diffAttachments(oldIam.attachments, newIam.attachments);
  const boundaries = diffBoundaries(oldIam, newIam);
  for (const nested of stackSetChangelogs(renamedBefore, after)) {
    permissions.added.push(...nested.permissions.added);
    permissions.removed.push(...nested.permissions.removed);
    permissions.modified.push(...nested.permissions.modified);
    trust.push(...nested.trust);
    managedPolicies.attached.push(...nested.managedPolicies.attached);
    managedPolicies.detached.push(...nested.managedPolicies.detached);
    boundaries.push(...nested.boundaries);
  }
  type Ordered = Pick<PermissionEntry, "principal" | "action" | "effect" | "when">;
  const order = (a: Ordered, b: Ordered) =>
    compareStrings(
      canonical([a.principal, a.action.toLowerCase(), a.effect, a.when]),
      canonical([b.principal, b.action.toLowerCase(), b.effect, b.when]),
    );
  permissions.added.sort(order);
  permissions.removed.sort(order);
  permissions.modified.sort(order);
  const sections = diffTemplateSections(renamedBefore, after, renames);

  const permissionsBroadened =
    [...permissions.added, ...permissions.removed, ...permissions.modified].some((p) => p.broadening) ||
    trust.some((t) => t.broadening) ||
    managedPolicies.attached.some((a) => a.broadening) ||
    boundaries.some((b) => b.broadening);

  const count = (s: { added: unknown[]; removed: unknown[]; changed: unknown[] }) =>
    s.added.length + s.removed.length + s.changed.length;
  const summary = {
    permissionsAdded: permissions.added.length,
    permissionsRemoved: permissions.removed.length,
    permissionsModified: permissions.modified.length,
    trustChanges: trust.length,
    managedPoliciesAttached: managedPolicies.attached.length,
    managedPoliciesDetached: managedPolicies.detached.length,
    boundaryChanges: boundaries.length,
    resourcesAdded: sections.resources.added.length,
    resourcesRemoved: sections.resources.removed.length,
    resourcesModified: sections.resources.modified.length,
    resourcesRenamed: sections.resources.renamed.length,
    resourcesReplaced:
      sections.resources.modified.filter((r) => r.replacement !== "never").length + sections.resources.renamed.length,
    parametersChanged: count(sections.parameters),
    conditionsChanged: count(sections.conditions),
    outputsChanged: count(sections.outputs),
    otherChanges: sections.other.length,
  };
  // `resourcesReplaced` re-counts modified and renamed resources, so it stays out of the total.
  const { resourcesReplaced: _replaced, ...counted } = summary;
  const total = Object.values(counted).reduce((a, b) => a + b, 0);

  return {
    schemaVersion: 1,
    from: labels.from ?? null,
    to: labels.to ?? null,
    permissionsBroadened,
    summary: { total, ...summary },
    permissions,
    trust,
    managedPolicies,
    boundaries,
    ...sections,
  };
}

const EMPTY: Template = { Resources: {} };

/** The template a `AWS::CloudFormation::StackSet` deploys to every member account, if inline. */
function stackSetTemplate(resource: Template["Resources"][string] | undefined): Template | undefined {
  if (resource?.Type !== "AWS::CloudFormation::StackSet") return undefined;
  const body = resource.Properties?.TemplateBody;
  if (typeof body === "string") {
    try {
      return parseTemplate(body);
    } catch {
      return undefined; // an intrinsic-built body cannot be read statically; the resource diff still shows it
    }
  }
  return body !== null && typeof body === "object" && "Resources" in body ? (body as Template) : undefined;
}

/**
 * Roles a StackSet creates in member accounts are as much the customer's permissions as the
 * stack's own: compare the embedded templates too, principals named `<StackSet>/<Role>`.
 */
function stackSetChangelogs(before: Template, after: Template): Changelog[] {
  const ids = [...new Set([...Object.keys(before.Resources), ...Object.keys(after.Resources)])].sort();
  const out: Changelog[] = [];
  for (const id of ids) {
    const [was, is] = [stackSetTemplate(before.Resources[id]), stackSetTemplate(after.Resources[id])];
    if (!was && !is) continue;
    const nested = computeChangelog(was ?? EMPTY, is ?? EMPTY);
    const at = (name: string) => `${id}/${name}`;
    for (const p of [...nested.permissions.added, ...nested.permissions.removed, ...nested.permissions.modified])
      p.principal = at(p.principal);
    for (const t of nested.trust) t.role = at(t.role);
    for (const a of [...nested.managedPolicies.attached, ...nested.managedPolicies.detached])
      a.principal = at(a.principal);
    for (const b of nested.boundaries) b.role = at(b.role);
    out.push(nested);
  }
  return out;
}

/** Parses both templates (throwing `template_invalid`) and compares them. */
export function computeChangelogFromBytes(
  before: string | Uint8Array,
  after: string | Uint8Array,
  labels: ChangelogLabels = {},
): Changelog {
  return computeChangelog(parseTemplate(before), parseTemplate(after), labels);
}

function diffAttachments(
  before: IamModel["attachments"],
  after: IamModel["attachments"],
): Changelog["managedPolicies"] {
  const key = (a: IamModel["attachments"][number]) => canonical([a.principal, a.policyArn, a.when]);
  const [oldKeys, newKeys] = [new Set(before.map(key)), new Set(after.map(key))];
  const attached: ManagedPolicyAttachment[] = after
    .filter((a) => !oldKeys.has(key(a)))
    .map((a) => ({
      ...a,
      broadening: !before.some(
        (b) => b.principal === a.principal && b.policyArn === a.policyArn && whenCovers(b.when, a.when),
      ),
    }));
  const detached = before.filter((b) => !newKeys.has(key(b))).map((b) => ({ ...b, broadening: false }));
  const order = (a: ManagedPolicyAttachment, b: ManagedPolicyAttachment) => compareStrings(key(a), key(b));
  return { attached: dedupe(attached, key).sort(order), detached: dedupe(detached, key).sort(order) };
}

function dedupe<T>(items: T[], key: (item: T) => string): T[] {
  return [...new Map(items.map((i) => [key(i), i])).values()];
}

/** A boundary removed or swapped for another is broadening: we cannot see the new one's content. */
function diffBoundaries(before: IamModel, after: IamModel): BoundaryChange[] {
  const describe = (model: IamModel, role: string): string | null => {
    const variants = model.boundaries.filter((b) => b.role === role);
    if (variants.length === 0) return null;
    return variants
      .map((b) => (b.when.length ? `${b.arn} when ${b.when.join(" and ")}` : b.arn))
      .sort()
      .join("; ");
  };
  const roles = [...new Set([...before.boundaries, ...after.boundaries].map((b) => b.role))].sort();
  const changes: BoundaryChange[] = [];
  // A deleted role's boundary goes with it: that shows under resources, not here.
  for (const role of roles.filter((r) => after.roles.includes(r))) {
    const [was, is] = [describe(before, role), describe(after, role)];
    if (was === is) continue;
    changes.push({ role, before: was, after: is, broadening: was !== null });
  }
  return changes;
}
