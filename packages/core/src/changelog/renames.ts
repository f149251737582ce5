import type { Template } from "../template/parse";
import { canonical, isObject, render } from "./values";

/** Old logical id → new logical id, with how we recognised it. */
export type Renames = Map<string, { to: string; matchedBy: "content" | "name" }>;

/**
 * Pairs removed and added resources of the same type that are the same thing under a new
 * logical id: identical content once earlier renames are applied to references (repeated
 * until nothing new matches, since renaming a role makes its policies identical too), or else
 * the same physical name (`RoleName`, `BucketName`…). Ambiguous candidates are left alone.
 */
export function detectRenames(before: Template, after: Template): Renames {
  const renames: Renames = new Map();
  const removed = () => Object.keys(before.Resources).filter((id) => !(id in after.Resources) && !renames.has(id));
  const matchedTargets = () => new Set([...renames.values()].map((r) => r.to));
  const added = () =>
    Object.keys(after.Resources).filter((id) => !(id in before.Resources) && !matchedTargets().has(id));

  const matchBy = (matchedBy: "content" | "name", identity: (resource: unknown) => string | undefined) => {
    let progress = true;
    while (progress) {
      progress = false;
      const targets = added();
      for (const from of removed()) {
        const source = before.Resources[from]!;
        const mine = identity(renameReferences(source, renames));
        if (mine === undefined) continue;
        const candidates = targets.filter(
          (to) => after.Resources[to]!.Type === source.Type && identity(after.Resources[to]) === mine,
        );
        const rivals = removed().filter(
          (other) => other !== from && identity(renameReferences(before.Resources[other], renames)) === mine,
        );
        if (candidates.length === 1 && rivals.length === 0) {
          renames.set(from, { to: candidates[0]!, matchedBy });
          progress = true;
          break;
        }
      }
    }
  };
  matchBy("content", (r) => canonical(r));
  matchBy("name", physicalName);
  return renames;
}

function physicalName(resource: unknown): string | undefined {
  if (!isObject(resource) || typeof resource.Type !== "string" || !isObject(resource.Properties)) return undefined;
  const noun = resource.Type.split("::").pop() ?? "";
  for (const property of [`${noun}Name`, "Name"]) {
    const value = resource.Properties[property];
    if (value !== undefined) return `${resource.Type}|${render(value)}`;
  }
  return undefined;
}

/** Applies renames to logical ids and to every reference (`Ref`, `GetAtt`, `Sub`, `DependsOn`). */
export function renameTemplate(template: Template, renames: Renames): Template {
  if (renames.size === 0) return template;
  const resources = Object.fromEntries(
    Object.entries(template.Resources).map(([id, r]) => [renames.get(id)?.to ?? id, renameReferences(r, renames)]),
  ) as Template["Resources"];
  return { ...(renameReferences(template, renames) as Template), Resources: resources };
}

export function renameReferences<T>(value: T, renames: Renames): T {
  if (renames.size === 0) return value;
  const to = (id: string) => renames.get(id)?.to ?? id;
  const subRef = (text: string) =>
    text.replace(/\$\{([^!}.][^}.]*)(\.[^}]*)?\}/g, (whole, id: string, attr: string | undefined) =>
      renames.has(id) ? `\${${to(id)}${attr ?? ""}}` : whole,
    );
  const walk = (v: unknown, key?: string): unknown => {
    if (Array.isArray(v)) return v.map((item) => walk(item, key === "DependsOn" ? key : undefined));
    if (typeof v === "string") return key === "DependsOn" || key === "Ref" ? to(v) : key === "Fn::Sub" ? subRef(v) : v;
    if (!isObject(v)) return v;
    const out: Record<string, unknown> = {};
    for (const [k, child] of Object.entries(v)) {
      if (k === "Fn::GetAtt") out[k] = getAtt(child, to);
      else if (k === "Fn::Sub" && Array.isArray(child))
        out[k] = [typeof child[0] === "string" ? subRef(child[0]) : child[0], walk(child[1])];
      else out[k] = walk(child, k);
    }
    return out;
  };
  return walk(value) as T;
}

function getAtt(value: unknown, to: (id: string) => string): unknown {
  if (typeof value === "string") {
    const dot = value.indexOf(".");
    return dot > 0 ? `${to(value.slice(0, dot))}${value.slice(dot)}` : value;
  }
  if (Array.isArray(value) && typeof value[0] === "string") return [to(value[0]), ...value.slice(1)];
  return value;
}
