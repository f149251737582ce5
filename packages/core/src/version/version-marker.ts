import { inputError } from "../error";
import type { Template } from "../template/parse";

/**
 * Where a template says which version it is: the customer template's `TemplateVersion` output,
 * the registration resource's `TemplateVersion` property (reported back at registration), and
 * the conventional parameter default or `Metadata` entry. Only literal strings count: an
 * intrinsic cannot be compared before deployment.
 */
function markers(template: Template): Array<{ where: string; value: string }> {
  const found: Array<{ where: string; value: string }> = [];
  const add = (where: string, value: unknown) => {
    if (typeof value === "string") found.push({ where, value });
  };
  add("Outputs.TemplateVersion", at(template, "Outputs", "TemplateVersion", "Value"));
  add("Parameters.TemplateVersion.Default", at(template, "Parameters", "TemplateVersion", "Default"));
  add("Metadata.TemplateVersion", at(template, "Metadata", "TemplateVersion"));
  for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
    add(`Resources.${logicalId}.Properties.TemplateVersion`, at(resource, "Properties", "TemplateVersion"));
  }
  return found;
}

/** Publishing 1.1.0 with a template that still says 1.0.0 would make the stack report a lie. */
export function assertVersionMarker(template: Template, version: string): void {
  const wrong = markers(template).find((m) => m.value !== version);
  if (wrong) {
    throw inputError(
      "version_marker_mismatch",
      `The template says it is ${wrong.value} (${wrong.where}) but is being published as ${version}`,
      { where: wrong.where, marker: wrong.value, version },
    );
  }
}

function at(value: unknown, ...path: string[]): unknown {
  let here = value;
  for (const key of path) {
    if (here === null || typeof here !== "object") return undefined;
    here = (here as Record<string, unknown>)[key];
  }
  return here;
}
