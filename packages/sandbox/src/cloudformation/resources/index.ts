import { customResource, isCustomResourceType } from "./custom";
import { genericProvider } from "./generic";
import { iamManagedPolicy, iamPolicy, iamRole } from "./iam";
import type { ResourceProvider } from "./provider";

const PROVIDERS: Record<string, ResourceProvider> = {
  "AWS::IAM::Role": iamRole,
  "AWS::IAM::ManagedPolicy": iamManagedPolicy,
  "AWS::IAM::Policy": iamPolicy,
};

export function providerFor(type: string): ResourceProvider {
  return PROVIDERS[type] ?? (isCustomResourceType(type) ? customResource : genericProvider(type));
}

export { isCustomResourceType } from "./custom";
export type { Provisioned, ResourceContext, ResourceProvider } from "./provider";
export { RoleDirectory } from "./role-directory";
