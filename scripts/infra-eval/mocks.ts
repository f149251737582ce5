/**
 * What AWS would answer while the SST program runs under Pulumi's runtime mocks: a resource's
 * computed attributes (ARNs, names, URLs) and the provider functions infra calls. Only shapes infra
 * reads are modelled; anything else keeps its inputs, so a new resource never breaks evaluation.
 */

export interface MockContext {
  account: string;
  region: string;
}

type Inputs = Record<string, unknown>;

interface PolicyStatementInput {
  sid?: string;
  effect?: string;
  actions?: string[];
  notActions?: string[];
  resources?: string[];
  notResources?: string[];
  principals?: { type: string; identifiers: string[] }[];
  notPrincipals?: { type: string; identifiers: string[] }[];
  conditions?: { test: string; variable: string; values: string[] }[];
}

function principalBlock(principals: { type: string; identifiers: string[] }[]): Record<string, string[]> | "*" {
  const block: Record<string, string[]> = {};
  for (const { type, identifiers } of principals) {
    // The provider writes type "*" as the bare wildcard principal.
    if (type === "*") return "*";
    const key = type === "AWS" ? "AWS" : type;
    block[key] = [...(block[key] ?? []), ...identifiers];
  }
  return block;
}

/** `aws.iam.getPolicyDocument` as the provider renders it (arrays kept as arrays: same meaning). */
export function policyDocument(inputs: Inputs): string {
  const statements = (inputs.statements ?? []) as PolicyStatementInput[];
  const rendered = statements.map((s) => {
    const out: Record<string, unknown> = { Effect: s.effect ?? "Allow" };
    if (s.sid) out.Sid = s.sid;
    if (s.actions) out.Action = s.actions;
    if (s.notActions) out.NotAction = s.notActions;
    if (s.resources) out.Resource = s.resources;
    if (s.notResources) out.NotResource = s.notResources;
    if (s.principals) out.Principal = principalBlock(s.principals);
    if (s.notPrincipals) out.NotPrincipal = principalBlock(s.notPrincipals);
    if (s.conditions?.length) {
      const conditions: Record<string, Record<string, string[]>> = {};
      for (const c of s.conditions) conditions[c.test] = { ...conditions[c.test], [c.variable]: c.values };
      out.Condition = conditions;
    }
    return out;
  });
  return JSON.stringify({ Version: "2012-10-17", Statement: rendered });
}

const FAKE_PUBLIC_KEY =
  "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEmockmockmockmockmockmockmockmockmockmockmockmockmockmockmockmockmockmockmockmock==\n-----END PUBLIC KEY-----";

export function mockCall(token: string, inputs: Inputs, ctx: MockContext): Inputs {
  switch (token) {
    case "aws:index/getCallerIdentity:getCallerIdentity":
      return { accountId: ctx.account, arn: `arn:aws:iam::${ctx.account}:user/deployer`, userId: "AIDAMOCK" };
    case "aws:index/getPartition:getPartition":
      return { partition: "aws", dnsSuffix: "amazonaws.com" };
    case "aws:index/getRegion:getRegion":
      return { name: ctx.region, region: ctx.region, id: ctx.region };
    case "aws:iam/getPolicyDocument:getPolicyDocument":
      // The provider echoes its inputs (SST reads `statements` back) beside the rendered JSON.
      return { ...inputs, json: policyDocument(inputs), minifiedJson: policyDocument(inputs) };
    case "aws:kms/getPublicKey:getPublicKey":
      return { publicKeyPem: FAKE_PUBLIC_KEY, keyId: inputs.keyId, arn: inputs.keyId };
    default:
      return inputs;
  }
}

/** `aws:lambda/function:Function` → `lambda`, used for ARNs of types nothing here models. */
function serviceOf(type: string): string {
  return type.split(":")[1]?.split("/")[0] ?? "unknown";
}

function arnFor(type: string, physical: string, ctx: MockContext): string {
  const { account, region } = ctx;
  switch (type) {
    case "aws:iam/role:Role":
      return `arn:aws:iam::${account}:role/${physical}`;
    case "aws:iam/policy:Policy":
      return `arn:aws:iam::${account}:policy/${physical}`;
    case "aws:lambda/function:Function":
      return `arn:aws:lambda:${region}:${account}:function:${physical}`;
    case "aws:dynamodb/table:Table":
      return `arn:aws:dynamodb:${region}:${account}:table/${physical}`;
    case "aws:s3/bucket:Bucket":
    case "aws:s3/bucketV2:BucketV2":
      return `arn:aws:s3:::${physical}`;
    case "aws:sqs/queue:Queue":
    case "aws:sns/topic:Topic":
      return `arn:aws:${serviceOf(type)}:${region}:${account}:${physical}`;
    case "aws:kms/key:Key":
      return `arn:aws:kms:${region}:${account}:key/${physical}`;
    case "aws:scheduler/scheduleGroup:ScheduleGroup":
      return `arn:aws:scheduler:${region}:${account}:schedule-group/${physical}`;
    default:
      return `arn:aws:${serviceOf(type)}:${region}:${account}:${physical}`;
  }
}

/** A deterministic physical name: the explicit one if infra gave it, else the logical name. */
function physicalName(type: string, name: string, inputs: Inputs): string {
  const given = inputs.name ?? inputs.bucket ?? inputs.functionName;
  if (typeof given === "string" && given) return given;
  if (type === "aws:kms/key:Key") return `mock-${name.toLowerCase()}`;
  return `${name.replace(/[^A-Za-z0-9-]/g, "-")}-mock`;
}

export function mockResource(
  type: string,
  name: string,
  inputs: Inputs,
  ctx: MockContext,
): { id: string; state: Inputs } {
  const physical = physicalName(type, name, inputs);
  const arn = arnFor(type, physical, ctx);
  const state: Inputs = { ...inputs, arn, name: physical };
  if (type === "aws:kms/key:Key") state.keyId = physical;
  if (type.startsWith("aws:s3/bucket")) {
    state.bucket = physical;
    state.bucketRegionalDomainName = `${physical}.s3.${ctx.region}.amazonaws.com`;
  }
  // A table with a stream has a stream ARN (its label is the stream's creation time).
  if (type === "aws:dynamodb/table:Table" && inputs.streamEnabled)
    state.streamArn = `${arn}/stream/2026-01-01T00:00:00.000`;
  if (type === "aws:sqs/queue:Queue") state.url = `https://sqs.${ctx.region}.amazonaws.com/${ctx.account}/${physical}`;
  if (type === "aws:apigatewayv2/api:Api") {
    state.apiEndpoint = `https://${physical}.execute-api.${ctx.region}.amazonaws.com`;
    state.executionArn = `arn:aws:execute-api:${ctx.region}:${ctx.account}:${physical}`;
  }
  if (type.startsWith("random:")) {
    state.result = "mock-random";
    state.base64 = "bW9jay1yYW5kb20tYnl0ZXMtZm9yLXRlc3Rz";
    state.hex = "6d6f636b";
  }
  return { id: `${physical}-id`, state };
}
