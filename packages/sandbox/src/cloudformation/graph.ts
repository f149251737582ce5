import type { Template } from "@stackfleet/core/template/parse";
import { validationError } from "./errors";
import { dependsOnList, references } from "./template";

/** Each active resource's dependencies among the active resources (Ref, GetAtt, Sub and DependsOn). */
export function dependencies(template: Template, active: string[]): Map<string, string[]> {
  const activeSet = new Set(active);
  const out = new Map<string, string[]>();
  for (const logicalId of active) {
    const resource = template.Resources[logicalId]!;
    const deps = new Set([
      ...references({ Properties: resource.Properties, Metadata: resource.Metadata }).resources,
      ...dependsOnList(resource),
    ]);
    out.set(
      logicalId,
      [...deps].filter((d) => d !== logicalId && activeSet.has(d)),
    );
  }
  return out;
}

/** A creation order in which every resource comes after what it depends on; a cycle is a ValidationError. */
export function creationOrder(graph: Map<string, string[]>): string[] {
  const order: string[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (id: string, path: string[]) => {
    const seen = state.get(id);
    if (seen === "done") return;
    if (seen === "visiting")
      throw validationError(`Circular dependency between resources: [${path.slice(path.indexOf(id)).join(", ")}]`);
    state.set(id, "visiting");
    for (const dep of graph.get(id) ?? []) if (graph.has(dep)) visit(dep, [...path, id]);
    state.set(id, "done");
    order.push(id);
  };
  for (const id of graph.keys()) visit(id, []);
  return order;
}
