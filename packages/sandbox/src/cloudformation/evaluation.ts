import type { Template } from "@stackfleet/core/template/parse";
import { TemplateError } from "./errors";
import { partition, urlSuffix } from "./ids";
import { evaluateConditions, type ResolveContext, Unresolved } from "./intrinsics";
import { parameterRefValues } from "./parameters";
import { providerFor } from "./resources";
import type { ResourceRecord } from "./types";

export interface StackIdentity {
  accountId: string;
  region: string;
  stackId: string;
  stackName: string;
  notificationArns: string[];
}

/** What a resource reference means while evaluating: a provisioned record, or not known yet (a change set preview). */
export type Lookup = (logicalId: string) => ResourceRecord | "pending" | undefined;

function baseContext(id: StackIdentity, template: Template, parameters: Record<string, string>) {
  return {
    parameters: parameterRefValues(template, parameters),
    pseudo: {
      "AWS::AccountId": id.accountId,
      "AWS::Region": id.region,
      "AWS::Partition": partition(id.region),
      "AWS::StackName": id.stackName,
      "AWS::StackId": id.stackId,
      "AWS::URLSuffix": urlSuffix(id.region),
      "AWS::NotificationARNs": id.notificationArns,
    },
    mappings: (template.Mappings ?? {}) as Record<string, unknown>,
    region: id.region,
  };
}

export function templateConditions(
  id: StackIdentity,
  template: Template,
  parameters: Record<string, string>,
): Record<string, boolean> {
  const base = baseContext(id, template, parameters);
  return evaluateConditions(template.Conditions, {
    ...base,
    ref: () => undefined,
    getAtt: () => undefined,
  });
}

export function resolveContext(
  id: StackIdentity,
  template: Template,
  parameters: Record<string, string>,
  conditions: Record<string, boolean>,
  lookup: Lookup,
): ResolveContext {
  const find = (logicalId: string) => {
    if (!(logicalId in template.Resources)) {
      throw new TemplateError(
        `Template format error: Unresolved resource dependencies [${logicalId}] in the Resources block of the template`,
      );
    }
    const found = lookup(logicalId);
    if (found === undefined) {
      throw new TemplateError(
        `Template error: resource ${logicalId} is referenced but does not exist (its condition is false or it was not created)`,
      );
    }
    return found;
  };
  return {
    ...baseContext(id, template, parameters),
    conditions,
    ref(logicalId) {
      const found = find(logicalId);
      return found === "pending" ? new Unresolved(logicalId) : found.physicalId;
    },
    getAtt(logicalId, attribute) {
      const found = find(logicalId);
      if (found === "pending") return new Unresolved(`${logicalId}.${attribute}`);
      if (attribute in found.attributes) return found.attributes[attribute];
      const provider = providerFor(found.type);
      if (provider.attribute) return provider.attribute(found, attribute, id);
      throw new TemplateError(
        `Template error: resource ${logicalId} does not support attribute type ${attribute} in Fn::GetAtt`,
      );
    },
  };
}

/** Whether a resource or output is part of the stack under these conditions. */
export function isActive(entry: { Condition?: unknown }, conditions: Record<string, boolean>): boolean {
  return entry.Condition === undefined || conditions[String(entry.Condition)] === true;
}
