import * as cfn from "@aws-sdk/client-cloudformation";
import type { StaticOperationSchema } from "@smithy/types";
import type { CloudFormationEngine } from "../cloudformation/index";
import { type Principal, SandboxError } from "../contract";
import type { Authorizer } from "../iam/authorize";
import { decodeQueryInput, encodeQueryError, encodeQueryOutput } from "./query-codec";
import { xmlReply } from "./sts";
import type { HttpReply, ServiceCall, ServiceEndpoint } from "./types";

const XMLNS = "http://cloudformation.amazonaws.com/doc/2010-05-15/";
const VERSION = "2010-05-15";

/** How an action's IAM resource is found: from the stack it names, or from its change set's stack. */
type Scope = "stack" | "changeSet";

/** `input` is what the SDK schema decoded: the operation's SDK input shape. */
type Run = (
  engine: CloudFormationEngine,
  accountId: string,
  region: string,
  // biome-ignore lint/suspicious/noExplicitAny: the SDK schema decoded it into the operation's own input shape
  input: any,
  caller: Principal,
) => Promise<object>;

/** The CloudFormation operations the sandbox serves, each authorised as `cloudformation:<Action>`. */
const ACTIONS: Record<string, { scope: Scope; run: Run }> = {
  CreateStack: { scope: "stack", run: (e, a, r, i, c) => e.createStack(a, r, i, c) },
  UpdateStack: { scope: "stack", run: (e, a, r, i, c) => e.updateStack(a, r, i, c) },
  DeleteStack: { scope: "stack", run: (e, a, r, i, c) => e.deleteStack(a, r, i, c) },
  DescribeStacks: { scope: "stack", run: (e, a, r, i) => e.describeStacks(a, r, i) },
  DescribeStackEvents: { scope: "stack", run: (e, a, r, i) => e.describeStackEvents(a, r, i) },
  GetTemplate: { scope: "stack", run: (e, a, r, i) => e.getTemplate(a, r, i) },
  CreateChangeSet: { scope: "stack", run: (e, a, r, i, c) => e.createChangeSet(a, r, i, c) },
  DescribeChangeSet: { scope: "changeSet", run: (e, a, r, i) => e.describeChangeSet(a, r, i) },
  ExecuteChangeSet: { scope: "changeSet", run: (e, a, r, i, c) => e.executeChangeSet(a, r, i, c) },
  DeleteChangeSet: { scope: "changeSet", run: (e, a, r, i) => e.deleteChangeSet(a, r, i) },
};

/**
 * CloudFormation over the query protocol: authenticate (done by the server), authorise the call
 * with IAM against the stack's ARN — plus `iam:PassRole` for a `RoleARN` — then call the engine.
 */
export class CloudFormationEndpoint implements ServiceEndpoint {
  constructor(
    private readonly engine: CloudFormationEngine,
    private readonly authorizer: Authorizer,
  ) {}

  async handle(call: ServiceCall): Promise<HttpReply> {
    const params = new Map(new URLSearchParams(call.body));
    const action = params.get("Action") ?? "";
    if (params.get("Version") !== VERSION) {
      throw new SandboxError(
        "InvalidParameterValue",
        `CloudFormation API version ${params.get("Version")} is not ${VERSION}.`,
      );
    }
    const schema = (cfn as unknown as Record<string, StaticOperationSchema | undefined>)[`${action}$`];
    const operation = ACTIONS[action];
    if (!schema || !operation) {
      throw new SandboxError(
        "InvalidAction",
        `Could not find operation ${action} for version ${VERSION} in the sandbox.`,
      );
    }
    const input = decodeQueryInput(schema, params);
    const account = call.principal.accountId;
    for (const resource of await this.resourcesOf(operation.scope, input, account, call.region)) {
      await this.authorizer.authorize({
        principal: call.principal,
        action: `cloudformation:${action}`,
        resource,
        resourceAccount: account,
        region: call.region,
        context: conditionKeys(input),
      });
    }
    if (typeof input.RoleARN === "string")
      await this.authorizer.authorizePassRole(
        "cloudformation.amazonaws.com",
        call.principal,
        input.RoleARN,
        call.region,
      );
    const output = await operation.run(this.engine, account, call.region, input, call.principal);
    return xmlReply(
      200,
      encodeQueryOutput(schema, output as Record<string, unknown>, XMLNS, call.requestId),
      call.requestId,
    );
  }

  errorReply(error: SandboxError, requestId: string): HttpReply {
    return xmlReply(error.status, encodeQueryError(error, XMLNS, requestId), requestId);
  }

  /**
   * Concrete stack ARNs (the evaluator reads a wildcard as "allowed for some"). A stack that does
   * not exist yet is `stack/<name>/*`, the form AWS documents for policies.
   */
  private async resourcesOf(
    scope: Scope,
    input: Record<string, unknown>,
    account: string,
    region: string,
  ): Promise<string[]> {
    let stackName = typeof input.StackName === "string" ? input.StackName : undefined;
    if (scope === "changeSet") {
      stackName = (await this.changeSetStack(input, account, region)) ?? stackName;
    }
    if (stackName === undefined) {
      // Listing every stack needs permission on every stack, as an unscoped Describe does in AWS.
      const all = await this.describe(account, region, {});
      return all.length ? all.map((s) => s.StackId) : [`arn:aws:cloudformation:${region}:${account}:stack/*`];
    }
    if (stackName.startsWith("arn:")) return [stackName];
    const [existing] = await this.describe(account, region, { StackName: stackName });
    return [existing?.StackId ?? `arn:aws:cloudformation:${region}:${account}:stack/${stackName}/*`];
  }

  private async describe(
    account: string,
    region: string,
    input: Record<string, unknown>,
  ): Promise<Array<{ StackId: string }>> {
    try {
      const out = await this.engine.describeStacks(account, region, input);
      return (out.Stacks ?? []).map((s) => ({ StackId: s.StackId! }));
    } catch (error) {
      if (error instanceof SandboxError && error.code === "ValidationError") return [];
      throw error;
    }
  }

  private async changeSetStack(
    input: Record<string, unknown>,
    account: string,
    region: string,
  ): Promise<string | undefined> {
    if (typeof input.ChangeSetName !== "string") return undefined;
    try {
      const out = await this.engine.describeChangeSet(account, region, {
        ChangeSetName: input.ChangeSetName,
        StackName: typeof input.StackName === "string" ? input.StackName : undefined,
      });
      return out.StackId;
    } catch (error) {
      // A missing change set is reported by the operation itself, after authorisation.
      if (error instanceof SandboxError) return undefined;
      throw error;
    }
  }
}

/** The CloudFormation condition keys a customer's policy may test (absent when not sent). */
function conditionKeys(input: Record<string, unknown>): Record<string, string | undefined> {
  const str = (value: unknown) => (typeof value === "string" ? value : undefined);
  return {
    "cloudformation:TemplateUrl": str(input.TemplateURL),
    "cloudformation:RoleArn": str(input.RoleARN),
    "cloudformation:ChangeSetName": str(input.ChangeSetName)?.startsWith("arn:") ? undefined : str(input.ChangeSetName),
    "cloudformation:StackPolicyUrl": str(input.StackPolicyURL),
  };
}
