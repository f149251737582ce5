import type { Change, ResourceChangeDetail } from "@aws-sdk/client-cloudformation";
import type { Template } from "@stackfleet/core/template/parse";
import { ResourceFailure, TemplateError, validationError } from "./errors";
import { isActive, resolveContext, type StackIdentity, templateConditions } from "./evaluation";
import { creationOrder, dependencies } from "./graph";
import { resolve, Unresolved } from "./intrinsics";
import { isCustomResourceType, providerFor } from "./resources";
import { references } from "./template";
import type { PlannedChange, ResourceRecord } from "./types";

export type Action = "Add" | "Modify" | "Replace";

/** What an update (or create) will do: the order to walk, and per resource whether it is added, modified or replaced. */
export interface Plan {
  conditions: Record<string, boolean>;
  order: string[];
  dependencies: Map<string, string[]>;
  actions: Map<string, Action>;
  /** Current resources the new template no longer has (removed, or condition now false). */
  removals: string[];
  changes: PlannedChange[];
}

export interface CurrentState {
  resources: Map<string, ResourceRecord>;
  parameters: Record<string, string>;
}

/** Evaluates the template against the current resources, resolving what is already known, like a change set preview. */
export function planUpdate(
  id: StackIdentity,
  current: CurrentState,
  template: Template,
  parameters: Record<string, string>,
): Plan {
  const conditions = evaluate(() => templateConditions(id, template, parameters));
  const active = Object.keys(template.Resources).filter((logicalId) =>
    isActive(template.Resources[logicalId]!, conditions),
  );
  const graph = dependencies(template, active);
  const order = creationOrder(graph);
  const actions = new Map<string, Action>();
  const changes: PlannedChange[] = [];
  // Resources whose identifiers/attributes are not known until the update runs.
  const pending = new Set<string>();
  const ctx = resolveContext(id, template, parameters, conditions, (logicalId) => {
    if (pending.has(logicalId)) return "pending";
    return current.resources.get(logicalId) ?? (active.includes(logicalId) ? "pending" : undefined);
  });

  for (const logicalId of order) {
    const definition = template.Resources[logicalId]!;
    const old = current.resources.get(logicalId);
    const after = evaluate(() => resolve(definition.Properties ?? {}, ctx)) as Record<string, unknown>;
    if (!old) {
      pending.add(logicalId);
      actions.set(logicalId, "Add");
      changes.push({ change: resourceChange("Add", logicalId, definition.Type), after });
      continue;
    }
    if (old.type !== definition.Type) {
      throw validationError(
        `Update of resource type is not permitted. The new template modifies resource type of resource ${logicalId}.`,
      );
    }
    const diff = compare(old, definition, template.Conditions ?? {}, after, current.parameters, parameters, pending);
    if (!diff) continue;
    const replacement = diff.replacement;
    actions.set(logicalId, replacement === "False" ? "Modify" : "Replace");
    if (replacement !== "False" || isCustomResourceType(old.type)) pending.add(logicalId);
    changes.push({
      change: {
        ...resourceChange("Modify", logicalId, old.type),
        ResourceChange: {
          ...resourceChange("Modify", logicalId, old.type).ResourceChange,
          PhysicalResourceId: old.physicalId,
          Replacement: replacement,
          Scope: diff.scope,
          Details: diff.details,
        },
      },
      before: old.properties,
      after,
    });
  }
  const removals = [...current.resources.keys()].filter((logicalId) => !active.includes(logicalId));
  for (const logicalId of removals) {
    const old = current.resources.get(logicalId)!;
    changes.push({
      change: {
        Type: "Resource",
        ResourceChange: {
          Action: "Remove",
          LogicalResourceId: logicalId,
          PhysicalResourceId: old.physicalId,
          ResourceType: old.type,
          Scope: [],
          Details: [],
        },
      },
      before: old.properties,
    });
  }
  return { conditions, order, dependencies: graph, actions, removals, changes };
}

function resourceChange(action: "Add" | "Modify", logicalId: string, type: string): Change {
  return {
    Type: "Resource",
    ResourceChange: { Action: action, LogicalResourceId: logicalId, ResourceType: type, Scope: [], Details: [] },
  };
}

const ATTRIBUTES = ["Metadata", "DeletionPolicy", "UpdateReplacePolicy", "CreationPolicy", "UpdatePolicy"] as const;

function compare(
  old: ResourceRecord,
  definition: Template["Resources"][string],
  conditions: Record<string, unknown>,
  after: Record<string, unknown>,
  oldParameters: Record<string, string>,
  newParameters: Record<string, string>,
  pending: Set<string>,
):
  | {
      replacement: "True" | "False" | "Conditional";
      scope: Array<"Properties" | "Tags" | (typeof ATTRIBUTES)[number]>;
      details: ResourceChangeDetail[];
    }
  | undefined {
  const provider = providerFor(old.type);
  const scope = new Set<"Properties" | "Tags" | (typeof ATTRIBUTES)[number]>();
  const details: ResourceChangeDetail[] = [];
  let replacement = "False" as "True" | "False" | "Conditional";
  for (const key of new Set([...Object.keys(old.properties), ...Object.keys(after)])) {
    if (same(old.properties[key], after[key])) continue;
    const dynamic = containsUnresolved(after[key]);
    const recreate = provider.replacementProperties.includes(key);
    if (recreate && replacement !== "True") replacement = dynamic ? "Conditional" : "True";
    const attribute = key === "Tags" ? "Tags" : "Properties";
    scope.add(attribute);
    details.push({
      Target: {
        Attribute: attribute,
        Name: key,
        RequiresRecreation: recreate ? (dynamic ? "Conditionally" : "Always") : "Never",
      },
      Evaluation: dynamic ? "Dynamic" : "Static",
      ...source(
        old.definition.Properties?.[key],
        definition.Properties?.[key],
        conditions,
        oldParameters,
        newParameters,
        pending,
      ),
    });
  }
  for (const attribute of ATTRIBUTES) {
    if (same(old.definition[attribute], definition[attribute])) continue;
    scope.add(attribute);
    details.push({
      Target: { Attribute: attribute, RequiresRecreation: "Never" },
      Evaluation: "Static",
      ChangeSource: "DirectModification",
    });
  }
  if (details.length === 0) return undefined;
  return { replacement, scope: [...scope], details };
}

function source(
  rawBefore: unknown,
  rawAfter: unknown,
  conditions: Record<string, unknown>,
  oldParameters: Record<string, string>,
  newParameters: Record<string, string>,
  pending: Set<string>,
): Pick<ResourceChangeDetail, "ChangeSource" | "CausingEntity"> {
  if (!same(rawBefore, rawAfter)) return { ChangeSource: "DirectModification" };
  const refs = references(rawAfter);
  const candidates = [
    ...refs.resources,
    ...conditionsUsed(rawAfter).flatMap((name) => conditionParameters(conditions, name)),
  ];
  const parameter = candidates.find((name) => name in newParameters && oldParameters[name] !== newParameters[name]);
  if (parameter) return { ChangeSource: "ParameterReference", CausingEntity: parameter };
  const attribute = refs.getAtts.find((name) => pending.has(name.split(".")[0]!));
  if (attribute) return { ChangeSource: "ResourceAttribute", CausingEntity: attribute };
  const resource = refs.resources.find((name) => pending.has(name));
  if (resource) return { ChangeSource: "ResourceReference", CausingEntity: resource };
  return { ChangeSource: "Automatic" };
}

/** Conditions an expression branches on with `Fn::If`. */
function conditionsUsed(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(conditionsUsed);
  if (!isObject(value)) return [];
  return Object.entries(value).flatMap(([key, arg]) => {
    const own = key === "Fn::If" && Array.isArray(arg) && typeof arg[0] === "string" ? [arg[0]] : [];
    return [...own, ...conditionsUsed(arg)];
  });
}

/** The names a condition depends on, through nested `Condition` references. */
function conditionParameters(conditions: Record<string, unknown>, name: string, seen = new Set<string>()): string[] {
  if (seen.has(name) || !(name in conditions)) return [];
  seen.add(name);
  const expression = conditions[name];
  const nested = JSON.stringify(expression).match(/"Condition":"[^"]+"/g) ?? [];
  return [
    ...references(expression).resources,
    ...nested.flatMap((n) => conditionParameters(conditions, n.slice(13, -1), seen)),
  ];
}

export function same(a: unknown, b: unknown): boolean {
  if (a instanceof Unresolved || b instanceof Unresolved) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => same(v, b[i]));
  if (isObject(a) && isObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].every((k) => same(a[k], b[k]));
  }
  return a === b;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export function containsUnresolved(value: unknown): boolean {
  if (value instanceof Unresolved) return true;
  if (Array.isArray(value)) return value.some(containsUnresolved);
  if (isObject(value)) return Object.values(value).some(containsUnresolved);
  return false;
}

/** Template errors found while planning are errors of the call that submitted the template. */
function evaluate<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof TemplateError || e instanceof ResourceFailure) throw validationError(e.message);
    throw e;
  }
}
