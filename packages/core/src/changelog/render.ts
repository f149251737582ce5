import type { Changelog, PermissionEntry, PermissionModification, PermissionScope, TrustChange } from "./schema";

/**
 * The changelog for people: the dashboard, notification e-mails and the CLI. Permission
 * changes come first and broadening entries carry ⚠, since that is what a customer's
 * security team reviews; resource detail follows.
 */

const code = (s: string) => `\`${s.replace(/`/g, "'")}\``;
// Reasons and names are plain text, in which `s3:Get*` must not start an emphasis.
const escapeMarkdown = (s: string) => s.replace(/([\\*_[\]<>])/g, "\\$1");
const when = (w: string[]) =>
  w.length ? ` when ${w.map((c) => escapeMarkdown(c.startsWith("!") ? `not ${c.slice(1)}` : c)).join(" and ")}` : "";
const because = (reasons: string[]) => (reasons.length ? ` — ${reasons.map(escapeMarkdown).join("; ")}` : "");
const MAX_VALUE = 120;
const short = (value: unknown) => {
  const text = JSON.stringify(value) ?? "null";
  return code(text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text);
};
const mark = (broadening: boolean) => (broadening ? "⚠ " : "");

function conditions(c: PermissionScope["conditions"]): string {
  if (!c) return "";
  const parts = Object.entries(c).flatMap(([op, keys]) =>
    Object.entries(keys).map(([k, v]) => `${op} ${k} = ${v.join(" | ")}`),
  );
  return ` if ${parts.map(code).join(", ")}`;
}

function scope(s: PermissionScope): string {
  const on = s.notResources.length
    ? `every resource except ${s.notResources.map(code).join(", ")}`
    : s.resources.length
      ? s.resources.map(code).join(", ")
      : "(no resource)";
  return `on ${on}${conditions(s.conditions)}`;
}

const action = (p: { effect: string; action: string; notAction: boolean }) =>
  `${p.effect} ${p.notAction ? `every action except ${code(p.action)}` : code(p.action)}`;

function permission(p: PermissionEntry): string {
  return `- ${mark(p.broadening)}${code(p.principal)}: ${action(p)} ${p.scopes.map(scope).join("; ")}${when(p.when)} (${escapeMarkdown(p.policies.join(", "))})${because(p.reasons)}`;
}

function modification(p: PermissionModification): string {
  const details = [
    p.resourcesAdded.length ? `+ ${p.resourcesAdded.map(code).join(", ")}` : "",
    p.resourcesRemoved.length ? `− ${p.resourcesRemoved.map(code).join(", ")}` : "",
    p.whenBefore ? `template conditions were${when(p.whenBefore) || " none"}, now${when(p.when) || " none"}` : "",
    p.conditionsChanged
      ? `conditions now: ${p.after.map((s) => conditions(s.conditions).trim() || "none").join("; ")}`
      : "",
  ].filter(Boolean);
  return `- ${mark(p.broadening)}${code(p.principal)}: ${action(p)}${when(p.when)}: ${details.join("; ")}${because(p.reasons)}`;
}

function trust(t: TrustChange): string {
  const verb =
    t.change === "added" ? "now trusts" : t.change === "removed" ? "no longer trusts" : "changes its trust in";
  const effect = t.effect === "Deny" ? " (Deny)" : "";
  const after = t.conditionsAfter?.map((c) => conditions(c).trim() || "no condition").join("; ");
  const detail = t.change === "removed" ? "" : ` ${after}`;
  return `- ${mark(t.broadening)}${code(t.role)} ${verb} ${code(t.trustedPrincipal)} for ${code(t.action)}${effect}${when(t.when)}${detail}${because(t.reasons)}`;
}

function section(title: string, lines: string[]): string[] {
  return lines.length ? [`### ${title}`, "", ...lines, ""] : [];
}

function keyedSection(title: string, s: Changelog["parameters"]): string[] {
  return section(title, [
    ...s.added.map((e) => `- Added ${code(e.name)}`),
    ...s.removed.map((e) => `- Removed ${code(e.name)}`),
    ...s.changed.map((e) => `- Changed ${code(e.name)}: ${short(e.before)} → ${short(e.after)}`),
  ]);
}

export function headline(c: Changelog): string {
  const permissionChanges =
    c.summary.permissionsAdded +
    c.summary.permissionsRemoved +
    c.summary.permissionsModified +
    c.summary.trustChanges +
    c.summary.managedPoliciesAttached +
    c.summary.managedPoliciesDetached +
    c.summary.boundaryChanges;
  if (c.permissionsBroadened) return "⚠ Broadens permissions";
  return permissionChanges > 0 ? "Changes permissions without broadening them" : "No permission changes";
}

export function renderMarkdown(c: Changelog): string {
  const versions = c.from || c.to ? ` (${c.from ?? "?"} → ${c.to ?? "?"})` : "";
  const lines = [`## ${headline(c)}${versions}`, ""];
  if (c.summary.total === 0) return [...lines, "No changes between these versions.", ""].join("\n");
  const r = c.resources;
  lines.push(
    ...section("Permissions added", c.permissions.added.map(permission)),
    ...section("Permissions removed", c.permissions.removed.map(permission)),
    ...section("Permissions changed", c.permissions.modified.map(modification)),
    ...section("Trust policies", c.trust.map(trust)),
    ...section("Managed policies", [
      ...c.managedPolicies.attached.map(
        (a) => `- ${mark(a.broadening)}Attached ${code(a.policyArn)} to ${code(a.principal)}${when(a.when)}`,
      ),
      ...c.managedPolicies.detached.map(
        (a) => `- Detached ${code(a.policyArn)} from ${code(a.principal)}${when(a.when)}`,
      ),
    ]),
    ...section(
      "Permissions boundaries",
      c.boundaries.map(
        (b) =>
          `- ${mark(b.broadening)}${code(b.role)}: ${b.before ? code(b.before) : "none"} → ${b.after ? code(b.after) : "none"}`,
      ),
    ),
    ...section("Resources", [
      ...r.added.map((a) => `- Added ${code(a.logicalId)} (${a.type})${a.condition ? when([a.condition]) : ""}`),
      ...r.removed.map(
        (a) => `- Removed ${code(a.logicalId)} (${a.type})${a.retained ? ", retained in the account" : ", deleted"}`,
      ),
      ...r.renamed.map(
        (a) =>
          `- ${a.matchedBy === "name" ? "⚠ " : ""}Renamed ${code(a.from)} → ${code(a.to)} (${a.type}): CloudFormation creates the new resource and deletes the old one` +
          (a.matchedBy === "name"
            ? ", but both carry the same physical name, so the update fails while the old one exists"
            : "") +
          (a.properties.length ? `; also changed: ${a.properties.map((p) => p.name).join(", ")}` : ""),
      ),
      ...r.modified.map((m) => {
        const replaced =
          m.replacement === "always" ? " — **replaced**" : m.replacement === "conditional" ? " — may be replaced" : "";
        const names = [
          ...m.properties.map((p) =>
            p.replacement === "never"
              ? p.name
              : `${p.name} (${p.replacement === "always" ? "replaces" : "may replace"})`,
          ),
          ...m.attributes.map((a) => a.name),
        ];
        return `- Modified ${code(m.logicalId)} (${m.type})${replaced}: ${names.join(", ")}`;
      }),
    ]),
    ...keyedSection("Parameters", c.parameters),
    ...keyedSection("Conditions", c.conditions),
    ...keyedSection("Outputs", c.outputs),
    ...section(
      "Other",
      c.other.map((o) => `- Changed ${code(o.name)}`),
    ),
  );
  return lines.join("\n");
}

/** The same summary for a terminal, without Markdown code spans. */
export function renderText(c: Changelog): string {
  return renderMarkdown(c)
    .replace(/`/g, "")
    .replace(/\*\*/g, "")
    .replace(/\\([\\*_[\]<>])/g, "$1");
}
