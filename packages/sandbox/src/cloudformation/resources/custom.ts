import { ResourceFailure } from "../errors";
import type { CustomResourceResponse } from "../types";
import type { ResourceContext, ResourceProvider } from "./provider";

// CloudFormation sends every property value of a custom resource as a string.
export function stringifyProperties(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stringifyProperties);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, stringifyProperties(v)]));
  }
  return typeof value === "number" || typeof value === "boolean" ? String(value) : value;
}

function serviceToken(properties: Record<string, unknown>): string {
  const token = properties.ServiceToken;
  if (typeof token !== "string" || token === "") throw new ResourceFailure("Property ServiceToken cannot be empty.");
  return token;
}

function check(response: CustomResourceResponse): CustomResourceResponse {
  if (response.status !== "SUCCESS") {
    throw new ResourceFailure(
      `Received response status [FAILED] from custom resource. Message returned: ${response.reason ?? "See the details in CloudWatch Log Stream"}`,
      response.physicalResourceId,
    );
  }
  return response;
}

async function invoke(
  ctx: ResourceContext,
  request: Parameters<ResourceContext["invokeCustomResource"]>[0],
): Promise<CustomResourceResponse> {
  try {
    return await ctx.invokeCustomResource(request);
  } catch (e) {
    // A handler that never answers: CloudFormation would wait an hour and time out; the sandbox fails now.
    throw new ResourceFailure(
      `CloudFormation did not receive a response from your Custom Resource: ${(e as Error).message}`,
    );
  }
}

/** `Custom::*` / `AWS::CloudFormation::CustomResource`: the injected hook answers for the service token. */
export const customResource: ResourceProvider = {
  replacementProperties: [],
  async create(ctx, properties) {
    const token = serviceToken(properties);
    const response = check(
      await invoke(ctx, {
        requestType: "Create",
        serviceToken: token,
        resourceProperties: stringifyProperties(properties) as Record<string, unknown>,
      }),
    );
    return {
      physicalId: response.physicalResourceId ?? `${ctx.stackName}-${ctx.logicalId}`,
      attributes: response.data ?? {},
    };
  },
  async update(ctx, current, properties) {
    const token = serviceToken(properties);
    if (token !== current.properties.ServiceToken) throw new ResourceFailure("Modifying service token is not allowed.");
    const response = check(
      await invoke(ctx, {
        requestType: "Update",
        serviceToken: token,
        physicalResourceId: current.physicalId,
        resourceProperties: stringifyProperties(properties) as Record<string, unknown>,
        oldResourceProperties: stringifyProperties(current.properties) as Record<string, unknown>,
      }),
    );
    // A different physical id means the handler replaced the resource: the old one gets a Delete in cleanup.
    return { physicalId: response.physicalResourceId ?? current.physicalId, attributes: response.data ?? {} };
  },
  async delete(ctx, current) {
    check(
      await invoke(ctx, {
        requestType: "Delete",
        serviceToken: String(current.properties.ServiceToken),
        physicalResourceId: current.physicalId,
        resourceProperties: stringifyProperties(current.properties) as Record<string, unknown>,
      }),
    );
  },
  attribute(record, attribute) {
    throw new ResourceFailure(
      `CustomResource attribute error: Vendor response doesn't contain ${attribute} key in object ${record.physicalId}`,
    );
  },
};

export const isCustomResourceType = (type: string) =>
  type.startsWith("Custom::") || type === "AWS::CloudFormation::CustomResource";
