import { fullDiff, type TemplateDiff } from "@aws-cdk/cloudformation-diff";
import type { Template } from "../template/parse";
import type { Renames } from "./renames";
import type { Changelog, Replacement, ResourceModification, ResourceRename } from "./schema";
import { compareStrings, sortKeys } from "./values";

/**
 * Resource, parameter, condition and output changes, from `@aws-cdk/cloudformation-diff`,
 * whose bundled resource specification knows which property changes replace a resource.
 * The old template arrives with renames already applied, so a renamed resource diffs
 * against its new self rather than as a removal plus an addition.
 */
export type TemplateSections = Pick<Changelog, "resources" | "parameters" | "conditions" | "outputs" | "other">;

// Offline by design: `fullDiff` without a change set reads only the spec shipped in the package.
export function diffTemplateSections(before: Template, after: Template, renames: Renames): TemplateSections {
  const diff = fullDiff(before, after);
  const renamedTo = new Set([...renames.values()].map((r) => r.to));
  const sections: TemplateSections = {
    resources: { added: [], removed: [], modified: [], renamed: [] },
    parameters: keyed(diff.parameters.changes),
    conditions: keyed(diff.conditions.changes),
    outputs: keyed(diff.outputs.changes),
    other: otherChanges(diff),
  };
  for (const [id, change] of Object.entries(diff.resources.changes)) {
    if (!change.isDifferent) continue;
    if (change.isAddition) {
      const condition = change.newValue?.Condition;
      sections.resources.added.push({
        logicalId: id,
        type: change.newValue!.Type,
        condition: typeof condition === "string" ? condition : null,
      });
    } else if (change.isRemoval) {
      const policy = change.oldValue?.DeletionPolicy;
      sections.resources.removed.push({
        logicalId: id,
        type: change.oldValue!.Type,
        retained: policy === "Retain" || policy === "RetainExceptOnCreate",
      });
    } else {
      if (!renamedTo.has(id)) sections.resources.modified.push(modified(id, change));
    }
  }
  for (const [from, { to, matchedBy }] of renames) {
    const change = diff.resources.changes[to];
    const properties = change?.isDifferent
      ? modified(to, change).properties.map(({ name, before, after }) => ({ name, before, after }))
      : [];
    const rename: ResourceRename = { from, to, type: after.Resources[to]!.Type, properties, matchedBy };
    sections.resources.renamed.push(rename);
  }
  const byId = (a: { logicalId: string }, b: { logicalId: string }) => compareStrings(a.logicalId, b.logicalId);
  sections.resources.added.sort(byId);
  sections.resources.removed.sort(byId);
  sections.resources.modified.sort(byId);
  sections.resources.renamed.sort((a, b) => compareStrings(a.to, b.to));
  return sections;
}

const IMPACT: Record<string, Replacement> = { WILL_REPLACE: "always", MAY_REPLACE: "conditional" };
const replacementOf = (impact: string | undefined): Replacement => IMPACT[impact ?? ""] ?? "never";

type ResourceChange = TemplateDiff["resources"]["changes"][string];

function modified(logicalId: string, change: ResourceChange): ResourceModification {
  const properties = Object.entries(change.propertyUpdates)
    .map(([name, d]) => ({
      name,
      before: sortKeys(d.oldValue) ?? null,
      after: sortKeys(d.newValue) ?? null,
      replacement: replacementOf(d.changeImpact),
    }))
    .sort((a, b) => compareStrings(a.name, b.name));
  const attributes = Object.entries(change.otherChanges)
    .filter(([name]) => name !== "Properties")
    .map(([name, d]) => ({ name, before: sortKeys(d.oldValue) ?? null, after: sortKeys(d.newValue) ?? null }))
    .sort((a, b) => compareStrings(a.name, b.name));
  return {
    logicalId,
    type: change.newResourceType ?? change.oldResourceType ?? "",
    replacement: replacementOf(change.changeImpact),
    properties,
    attributes,
  };
}

type Keyed = { isAddition: boolean; isRemoval: boolean; isDifferent: boolean; oldValue: unknown; newValue: unknown };

function keyed(changes: Record<string, Keyed>): TemplateSections["parameters"] {
  const section: TemplateSections["parameters"] = { added: [], removed: [], changed: [] };
  for (const name of Object.keys(changes).sort()) {
    const d = changes[name]!;
    if (!d.isDifferent) continue;
    if (d.isAddition) section.added.push({ name, value: sortKeys(d.newValue) });
    else if (d.isRemoval) section.removed.push({ name, value: sortKeys(d.oldValue) });
    else section.changed.push({ name, before: sortKeys(d.oldValue) ?? null, after: sortKeys(d.newValue) ?? null });
  }
  return section;
}

function otherChanges(diff: TemplateDiff): TemplateSections["other"] {
  const out: TemplateSections["other"] = [];
  const single = {
    AWSTemplateFormatVersion: diff.awsTemplateFormatVersion,
    Description: diff.description,
    Transform: diff.transform,
  };
  for (const [name, d] of Object.entries(single)) {
    if (d?.isDifferent) out.push({ name, before: d.oldValue ?? null, after: d.newValue ?? null });
  }
  const collections = { Mappings: diff.mappings, Metadata: diff.metadata, "": diff.unknown };
  for (const [section, collection] of Object.entries(collections)) {
    for (const [key, d] of Object.entries(collection.changes)) {
      if (!d.isDifferent) continue;
      out.push({
        name: section ? `${section}.${key}` : key,
        before: sortKeys(d.oldValue) ?? null,
        after: sortKeys(d.newValue) ?? null,
      });
    }
  }
  return out;
}
