import type { Output } from "@aws-sdk/client-cloudformation";
import type { Template } from "@stackfleet/core/template/parse";
import { TemplateError } from "./errors";
import { isActive, type Lookup, resolveContext, type StackIdentity } from "./evaluation";
import { resolve, Unresolved } from "./intrinsics";

/** The template's outputs whose condition holds, evaluated against the stack's resources. */
export function evaluateOutputs(
  id: StackIdentity,
  template: Template,
  parameters: Record<string, string>,
  conditions: Record<string, boolean>,
  lookup: Lookup,
): Output[] {
  const ctx = resolveContext(id, template, parameters, conditions, lookup);
  const outputs: Output[] = [];
  for (const [key, declaration] of Object.entries(template.Outputs ?? {})) {
    if (!isActive(declaration, conditions)) continue;
    const value = resolve(declaration.Value, ctx);
    if (value !== undefined && !(value instanceof Unresolved) && typeof value === "object") {
      throw new TemplateError(
        `Template format error: The Value field of every Outputs member must evaluate to a String and not a List.`,
      );
    }
    const output: Output = {
      OutputKey: key,
      OutputValue: value instanceof Unresolved ? value.toJSON() : String(value),
    };
    if (typeof declaration.Description === "string") output.Description = declaration.Description;
    const exportName = (declaration.Export as { Name?: unknown } | undefined)?.Name;
    if (exportName !== undefined) output.ExportName = String(resolve(exportName, ctx));
    outputs.push(output);
  }
  return outputs;
}
