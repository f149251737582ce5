import type { Template } from "../template/parse";
import { expandList, type Grant, grantsFromDocument, type TrustGrant, trustFromDocument } from "./policy-document";
import { expandIf, type Guarded, isObject, mergeWhen, render, unwrapIf } from "./values";

/** Everything a template grants, keyed by the principal it ends up on rather than the policy. */
export type IamModel = {
  /** Logical ids of the template's `AWS::IAM::Role`s. */
  roles: string[];
  grants: Grant[];
  trust: TrustGrant[];
  /** Managed policies not defined in the template (AWS-managed, customer-managed, parameters). */
  attachments: Array<{ principal: string; policyArn: string; when: string[] }>;
  boundaries: Array<{ role: string; arn: string; when: string[] }>;
};

type Resource = Template["Resources"][string];
type PrincipalKind = "role" | "user" | "group";

const PRINCIPAL_FIELDS: Array<[string, PrincipalKind]> = [
  ["Roles", "role"],
  ["Users", "user"],
  ["Groups", "group"],
];

const refTarget = (rendered: string): string | undefined => /^\$\{([A-Za-z0-9]+)\}$/.exec(rendered)?.[1];

export function iamModel(template: Template): IamModel {
  const resources = template.Resources;
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
  const roleIds = new Set(ofType("AWS::IAM::Role").map(([id]) => id));
  const managedPolicyIds = new Set(ofType("AWS::IAM::ManagedPolicy").map(([id]) => id));
  // A policy may name a template role by its literal RoleName instead of `!Ref`.
  const roleByName = new Map<string, string>();
  for (const [id, r] of ofType("AWS::IAM::Role")) {
    if (r.Properties?.RoleName !== undefined) roleByName.set(render(r.Properties.RoleName), id);
  }

  const principalId = (kind: PrincipalKind, rendered: string): string => {
    const target = refTarget(rendered);
    if (kind === "role" && target && roleIds.has(target)) return target;
    if (kind === "role" && roleByName.has(rendered)) return roleByName.get(rendered)!;
    return `${kind}:${rendered}`;
  };
  const baseWhen = (r: Resource): string[] => (typeof r.Condition === "string" ? [r.Condition] : []);
  // A policy on a conditional role applies only while that role exists.
  const principal = (kind: PrincipalKind, value: Guarded<unknown>): Guarded<string>[] => {
    const id = principalId(kind, render(value.value));
    const when = mergeWhen(value.when, roleIds.has(id) ? baseWhen(resources[id]!) : []);
    return when ? [{ when, value: id }] : [];
  };
  const principalsOf = (props: Record<string, unknown>, when: string[]): Guarded<string>[] =>
    PRINCIPAL_FIELDS.flatMap(([field, kind]) => expandList(props[field], when).flatMap((p) => principal(kind, p)));

  const model: IamModel = { roles: [...roleIds].sort(), grants: [], trust: [], attachments: [], boundaries: [] };
  for (const [id, r] of Object.entries(resources)) {
    const props = r.Properties ?? {};
    const when = baseWhen(r);
    switch (r.Type) {
      case "AWS::IAM::Role":
        addRole(model, id, props, when, (mp) => resources[mp]!, managedPolicyIds);
        break;
      case "AWS::IAM::Policy":
      case "AWS::IAM::ManagedPolicy":
        model.grants.push(...grantsFromDocument(props.PolicyDocument, principalsOf(props, when), id, when));
        break;
      case "AWS::IAM::RolePolicy":
      case "AWS::IAM::UserPolicy":
      case "AWS::IAM::GroupPolicy": {
        const kind = r.Type === "AWS::IAM::RolePolicy" ? "role" : r.Type === "AWS::IAM::UserPolicy" ? "user" : "group";
        const field = kind === "role" ? "RoleName" : kind === "user" ? "UserName" : "GroupName";
        const principals =
          props[field] === undefined ? [] : expandIf(props[field], when).flatMap((p) => principal(kind, p));
        model.grants.push(
          ...grantsFromDocument(props.PolicyDocument, principals, `${id}/${render(props.PolicyName)}`, when),
        );
        break;
      }
    }
  }
  return model;
}

function addRole(
  model: IamModel,
  role: string,
  props: Record<string, unknown>,
  when: string[],
  resourceOf: (id: string) => Resource,
  managedPolicyIds: Set<string>,
): void {
  const self: Guarded<string>[] = [{ when: [], value: role }];
  model.trust.push(...trustFromDocument(props.AssumeRolePolicyDocument, role, when));
  for (const policy of expandList(props.Policies, when, unwrapIf)) {
    if (!isObject(policy.value)) continue;
    const source = `${role}/${render(policy.value.PolicyName)}`;
    model.grants.push(...grantsFromDocument(policy.value.PolicyDocument, self, source, policy.when));
  }
  for (const arn of expandList(props.ManagedPolicyArns, when)) {
    const rendered = render(arn.value);
    const target = refTarget(rendered);
    if (target && managedPolicyIds.has(target)) {
      // A managed policy defined in the template counts by its statements, like an inline one.
      const mp = resourceOf(target);
      const mpWhen = mergeWhen(arn.when, typeof mp.Condition === "string" ? [mp.Condition] : []);
      if (mpWhen) model.grants.push(...grantsFromDocument(mp.Properties?.PolicyDocument, self, target, mpWhen));
    } else {
      model.attachments.push({ principal: role, policyArn: rendered, when: arn.when });
    }
  }
  if (props.PermissionsBoundary === undefined) return;
  for (const boundary of expandIf(props.PermissionsBoundary, when)) {
    model.boundaries.push({ role, arn: render(boundary.value), when: boundary.when });
  }
}
