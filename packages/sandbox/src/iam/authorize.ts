import { createHash } from "node:crypto";
import { runSimulation, type SimulationIdentityPolicy } from "@cloud-copilot/iam-simulate";
import { type PolicyDocument, type Principal, type RoleStore, type SandboxClock, SandboxError } from "../contract";
import { adminUserArn } from "./accounts";

export interface AuthorizationRequest {
  principal: Principal;
  /** `service:Action`, e.g. `cloudformation:UpdateStack`. */
  action: string;
  /** A concrete ARN (a wildcard would make the simulator answer "allowed for some"). */
  resource: string;
  resourceAccount: string;
  /** For `sts:AssumeRole` and friends: the role's trust policy. */
  resourcePolicy?: PolicyDocument;
  region?: string;
  /** Service-specific condition keys (`sts:ExternalId`, `cloudformation:TemplateUrl`, …). */
  context?: Record<string, string | string[] | undefined>;
}

export type Decision = "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied";

const ADMINISTRATOR: PolicyDocument = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }],
};

/** A boundary that names a policy the account does not have grants nothing. */
const MISSING_BOUNDARY: PolicyDocument = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Deny", Action: "*", Resource: "*" }],
};

type Policies = { identity: SimulationIdentityPolicy[]; boundary?: SimulationIdentityPolicy[] };

/** A decision that depends on the time cannot be reused. */
const TIME_KEYS = /aws:(CurrentTime|EpochTime)/i;
/** Enough for every principal × action × resource a local rollout touches; beyond it, start over. */
const MAX_CACHED = 50_000;

/** What an authorizer reads its roles from, plus the write counter that invalidates its cache. */
export type VersionedRoleStore = RoleStore & { readonly version: number };

/**
 * IAM authorisation with a real policy evaluator (`@cloud-copilot/iam-simulate`): identity
 * policies (inline + managed), the permissions boundary, and a resource policy (a role's trust
 * policy), including the same-account vs cross-account rules AWS applies to trust policies.
 */
export class Authorizer {
  /** How many requests went to the simulator (the rest were answered from the cache). */
  simulations = 0;
  private readonly decisions = new Map<string, Decision>();
  private decisionsVersion = -1;

  /**
   * Simulating a request takes about a millisecond; a rollout repeats the same few thousand times.
   * Decisions are cached per (principal, action, resource, resource policy, context) and dropped
   * whenever a role or managed policy changes; one whose policies read the time is never cached.
   */
  constructor(
    private readonly roles: VersionedRoleStore,
    private readonly clock: SandboxClock,
    private readonly options: { cacheDecisions?: boolean } = {},
  ) {}

  async evaluate(request: AuthorizationRequest): Promise<Decision> {
    if (this.options.cacheDecisions === false) {
      return (await this.simulate(request, this.policiesOf(request.principal))).decision;
    }
    if (this.decisionsVersion !== this.roles.version || this.decisions.size >= MAX_CACHED) {
      this.decisions.clear();
      this.decisionsVersion = this.roles.version;
    }
    const policies = this.policiesOf(request.principal);
    const key = cacheKey(request, resourceClass(request.resource, policies));
    const cached = this.decisions.get(key);
    if (cached) return cached;
    const version = this.roles.version;
    const { decision, timeSensitive } = await this.simulate(request, policies);
    if (!timeSensitive && version === this.roles.version) this.decisions.set(key, decision);
    return decision;
  }

  private async simulate(
    request: AuthorizationRequest,
    policies: Policies,
  ): Promise<{ decision: Decision; timeSensitive: boolean }> {
    this.simulations++;
    const { principal } = request;
    const result = await runSimulation(
      {
        request: {
          principal: principal.arn,
          action: request.action,
          resource: { resource: request.resource, accountId: request.resourceAccount },
          contextVariables: this.contextOf(request),
        },
        identityPolicies: policies.identity,
        permissionBoundaryPolicies: policies.boundary,
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy: request.resourcePolicy,
      },
      {},
    );
    if (result.resultType === "error") {
      // A request the simulator cannot evaluate is a sandbox bug, not a denial to hide.
      throw new SandboxError(
        "InternalFailure",
        `IAM simulator rejected ${request.action} on ${request.resource}: ${JSON.stringify(result.errors)}`,
        500,
        false,
      );
    }
    const timeSensitive = TIME_KEYS.test(JSON.stringify([policies, request.resourcePolicy ?? null]));
    return { decision: result.overallResult as Decision, timeSensitive };
  }

  /** Throws AWS's `AccessDenied` (403) unless the request is allowed. */
  /** Handing a role to a service (CloudFormation's `RoleARN`, a schedule's target role) needs `iam:PassRole` on it. */
  authorizePassRole(service: string, principal: Principal, roleArn: string, region: string): Promise<void> {
    return this.authorize({
      principal,
      action: "iam:PassRole",
      resource: roleArn,
      resourceAccount: /^arn:aws:iam::(\d{12}):/.exec(roleArn)?.[1] ?? principal.accountId,
      region,
      context: { "iam:PassedToService": service },
    });
  }

  async authorize(request: AuthorizationRequest): Promise<void> {
    const decision = await this.evaluate(request);
    if (decision === "Allowed") return;
    const why =
      decision === "ExplicitlyDenied"
        ? "with an explicit deny in a policy"
        : request.resourcePolicy
          ? ""
          : `because no identity-based policy allows the ${request.action} action`;
    throw new SandboxError(
      "AccessDenied",
      `User: ${request.principal.arn} is not authorized to perform: ${request.action} on resource: ${request.resource}${why ? ` ${why}` : ""}`,
      403,
    );
  }

  private policiesOf(principal: Principal): Policies {
    if (principal.type === "account") {
      return { identity: [{ name: "AdministratorAccess", policy: ADMINISTRATOR }] };
    }
    const role = this.roles.getRole(principal.roleArn);
    // A deleted (or deleted and re-created) role leaves its sessions with no permissions at all.
    if (!role || (principal.roleId && role.roleId !== principal.roleId)) return { identity: [] };
    const identity: SimulationIdentityPolicy[] = Object.entries(role.inlinePolicies).map(([name, policy]) => ({
      name,
      policy,
    }));
    for (const arn of role.managedPolicyArns) {
      const managed = this.roles.getManagedPolicy(arn);
      if (managed) identity.push({ name: arn, policy: managed.document });
    }
    if (!role.permissionsBoundaryArn) return { identity };
    const boundary = this.roles.getManagedPolicy(role.permissionsBoundaryArn)?.document ?? MISSING_BOUNDARY;
    return { identity, boundary: [{ name: role.permissionsBoundaryArn, policy: boundary }] };
  }

  private contextOf(request: AuthorizationRequest): Record<string, string | string[]> {
    const { principal } = request;
    const now = this.clock.now();
    const context: Record<string, string | string[]> = {
      "aws:PrincipalAccount": principal.accountId,
      "aws:PrincipalArn": principal.type === "account" ? adminUserArn(principal.accountId) : principal.roleArn,
      "aws:PrincipalType": principal.type === "account" ? "User" : "AssumedRole",
      "aws:CurrentTime": now.toISOString(),
      "aws:EpochTime": String(Math.floor(now.getTime() / 1000)),
      "aws:SecureTransport": "true",
    };
    if (request.region) context["aws:RequestedRegion"] = request.region;
    if (principal.type === "assumed-role" && principal.sourceIdentity) {
      context["aws:SourceIdentity"] = principal.sourceIdentity;
    }
    for (const [key, value] of Object.entries(request.context ?? {})) {
      if (value !== undefined) context[key] = value;
    }
    return context;
  }
}

/**
 * The resource as the identity policies see it: which of their `Resource`/`NotResource` patterns
 * match it. Two schedules both matched by `schedule/stackfleet/*` get the same decision, so a
 * rollout's thousands of schedule names share one cache entry. Policy variables make the match
 * depend on the caller: then the exact resource is the key.
 */
function resourceClass(resource: string, policies: Policies): string {
  const patterns: string[] = [];
  for (const { policy } of [...policies.identity, ...(policies.boundary ?? [])]) {
    const document = policy as PolicyDocument;
    for (const statement of [document.Statement].flat()) {
      patterns.push(...[statement.Resource ?? [], statement.NotResource ?? []].flat().map(String));
    }
  }
  if (patterns.some((p) => p.includes("${"))) return `exact:${resource}`;
  return patterns.map((p) => (arnMatches(p, resource) ? "1" : "0")).join("");
}

/** IAM's ARN match: six colon-separated parts compared one by one, `*` and `?` never crossing parts. */
function arnMatches(pattern: string, arn: string): boolean {
  if (pattern === "*") return true;
  const split = (text: string) => {
    const parts = text.split(":");
    return [...parts.slice(0, 5), parts.slice(5).join(":")];
  };
  const want = split(pattern);
  const have = split(arn);
  return want.every((part, i) => glob(part).test(have[i] ?? ""));
}

const globs = new Map<string, RegExp>();
function glob(pattern: string): RegExp {
  let regex = globs.get(pattern);
  if (!regex) {
    const source = pattern
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".");
    globs.set(pattern, (regex = new RegExp(`^${source}$`, "s")));
  }
  return regex;
}

/** Everything a decision depends on besides the role store (and the time, see TIME_KEYS). */
function cacheKey(request: AuthorizationRequest, resource: string): string {
  const { principal } = request;
  const who =
    principal.type === "account"
      ? [principal.arn]
      : [principal.arn, principal.roleArn, principal.roleId ?? "", principal.sourceIdentity ?? ""];
  const context = Object.entries(request.context ?? {})
    .filter(([, value]) => value !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : 1));
  return createHash("sha256")
    .update(
      JSON.stringify([
        principal.type,
        who,
        request.action,
        resource,
        request.resourceAccount,
        request.region ?? "",
        request.resourcePolicy ?? null,
        context,
      ]),
    )
    .digest("base64");
}
