import { generateKeyPairSync } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { type Evaluation, evaluateStage } from "../scripts/infra-eval";
import { decide, type PolicyDoc, parsePolicy } from "./support/iam";

/**
 * Issue 11 item 4 and the updater-owned state, evaluated as data: both stages of the real SST
 * program under Pulumi mocks, every role's trust and identity policies decided by AWS's IAM logic.
 * Each assertion fails when the policy it names is widened.
 */
const MAIN = "111111111111";
const UPDATER = "222222222222";
const CUSTOMER = "333333333333";
const PREFIX = "Acme";
const SECURITY = `arn:aws:iam::${UPDATER}:role/security-oncall`;
const key = () => generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ type: "spki", format: "pem" });
const product = { STACKFLEET_VENDOR_NAME: "Acme", STACKFLEET_PRODUCT: "widgets", STACKFLEET_STACK_PREFIX: PREFIX };
const mainEnv = {
  ...product,
  STACKFLEET_JWT_ISSUER: "https://id.example.com/",
  STACKFLEET_JWT_AUDIENCE: "stackfleet",
  STACKFLEET_JWKS_URL: "https://id.example.com/.well-known/jwks.json",
  STACKFLEET_UPDATER_ACCOUNT_ID: UPDATER,
  STACKFLEET_EXECUTOR_ROLE_NAME: "stackfleet-production-updater-executor",
  STACKFLEET_RELEASE_PRINCIPALS: `arn:aws:iam::${MAIN}:role/release-engineer`,
  STACKFLEET_APPROVER_PRINCIPALS: `arn:aws:iam::${MAIN}:role/security-approver`,
};
const updaterEnv = {
  ...product,
  STACKFLEET_MAIN_TABLE_ARN: `arn:aws:dynamodb:eu-west-1:${MAIN}:table/stackfleet-production-Table`,
  STACKFLEET_TEMPLATE_BUCKET_ARN: "arn:aws:s3:::stackfleet-production-templates",
  STACKFLEET_NOTIFICATION_TOPIC_ARN: `arn:aws:sns:eu-west-1:${MAIN}:stackfleet-production-Notifications`,
  STACKFLEET_MAIN_API_ROLE_ARN: `arn:aws:iam::${MAIN}:role/stackfleet-production-ApiRole`,
  STACKFLEET_PINNED_KEYS: JSON.stringify([{ keyId: "release-1", publicKeyPem: key() }]),
  STACKFLEET_PINNED_APPROVER_KEYS: JSON.stringify([{ keyId: "approver-1", publicKeyPem: key() }]),
  STACKFLEET_SECURITY_TEAM_PRINCIPALS: SECURITY,
  STACKFLEET_API_BASE_URL: "https://api.example.com",
  STACKFLEET_TEMPLATE_BASE_URL: "https://stackfleet-production-templates.s3.eu-west-1.amazonaws.com/templates",
};

type Doc = PolicyDoc;
type Role = { name: string; arn: string; trust: Doc; policies: { name: string; policy: Doc }[] };
const parse = parsePolicy;

/** Every role of a stage as IAM sees it: ARN, trust, identity policies (inline + RolePolicy resources). */
function roles(evaluation: Evaluation, account: string): Role[] {
  return (
    evaluation.resources
      // A role with no trust input is a lookup of an existing one (the planner runs with the API's role).
      .filter((r) => r.type === "aws:iam/role:Role" && r.inputs.assumeRolePolicy !== undefined)
      .map((r) => {
        const physical = String(r.inputs.name ?? `${r.name}-mock`);
        const inline = ((r.inputs.inlinePolicies ?? []) as { name: string; policy: string }[]).map((p) => ({
          name: p.name,
          policy: parse(p.policy),
        }));
        const attached = evaluation.resources
          .filter(
            (x) =>
              x.type === "aws:iam/rolePolicy:RolePolicy" &&
              [physical, `${physical}-id`].includes(String(x.inputs.role)),
          )
          .map((x) => ({ name: x.name, policy: parse(x.inputs.policy) }));
        return {
          name: r.name,
          arn: `arn:aws:iam::${account}:role/${physical}`,
          trust: parse(r.inputs.assumeRolePolicy),
          policies: [...inline, ...attached],
        };
      })
  );
}

let main: Role[];
let updater: Role[];
let updaterTableArn: string;
/** The main stage's first deploy (the updater reads its outputs). */
let mainFirst: Evaluation;
/** The main stage's second deploy, which knows the updater's roles (here: in another account). */
let mainWired: Evaluation;
const named = (list: Role[], name: string) => {
  const found = list.find((r) => r.name === name);
  if (!found) throw new Error(`no role ${name} in ${list.map((r) => r.name).join(", ")}`);
  return found;
};
const isFunctionRole = (r: Role) => JSON.stringify(r.trust).includes("lambda.amazonaws.com");

beforeAll(async () => {
  // In deploy order: the updater reads the main stage's outputs, the main stage's second deploy the updater's.
  const production = await evaluateStage({ stage: "production", env: mainEnv, account: MAIN });
  mainFirst = production;
  const streamArn = String(production.outputs.STACKFLEET_MAIN_TABLE_STREAM_ARN);
  const productionUpdater = await evaluateStage({
    stage: "production-updater",
    env: { ...updaterEnv, STACKFLEET_MAIN_TABLE_STREAM_ARN: streamArn },
    account: UPDATER,
  });
  main = roles(production, MAIN);
  updater = roles(productionUpdater, UPDATER);
  updaterTableArn = String(productionUpdater.outputs.STACKFLEET_UPDATER_STATE_TABLE_ARN);
  const fromUpdater = (name: string) => String(productionUpdater.outputs[name]);
  mainWired = await evaluateStage({
    stage: "production",
    account: MAIN,
    env: {
      ...mainEnv,
      ...Object.fromEntries(
        [
          "STACKFLEET_SCHEDULE_GROUP_ARN",
          "STACKFLEET_SCHEDULER_ROLE_ARN",
          "STACKFLEET_EXECUTOR_ARN",
          "STACKFLEET_EXECUTOR_ROLE_ARN",
          "STACKFLEET_SCHEDULE_DLQ_ARN",
          "STACKFLEET_ANNOUNCE_ROLE_ARN",
        ].map((name) => [name, fromUpdater(name)]),
      ),
    },
  });
}, 180_000);

describe("function roles", () => {
  it("trust lambda.amazonaws.com and nothing else, in both stages", async () => {
    const functions = [...main, ...updater].filter(isFunctionRole);
    expect(functions.map((r) => r.name)).toEqual(
      expect.arrayContaining(["ApiRole", "ExecutorRole", "AnnounceRole", "SweeperRole"]),
    );
    for (const role of functions) {
      expect(role.trust.Statement, role.name).toEqual([
        { Effect: "Allow", Action: "sts:AssumeRole", Principal: { Service: "lambda.amazonaws.com" } },
      ]);
      const account = role.arn.split(":")[4]!;
      for (const caller of [`arn:aws:iam::${account}:root`, `arn:aws:iam::${account}:role/any-admin`]) {
        expect(
          await decide(caller, "sts:AssumeRole", role.arn, { account, resourcePolicy: role.trust }),
          `${caller} → ${role.name}`,
        ).not.toBe("Allowed");
      }
    }
  });

  it("the API cannot sign with any key: kms:GetPublicKey and kms:Verify at most", async () => {
    const api = named(main, "ApiRole");
    const anyKey = `arn:aws:kms:eu-west-1:${MAIN}:key/any`;
    expect(await decide(api, "kms:Sign", anyKey, { account: MAIN })).not.toBe("Allowed");
    const kms = api.policies.flatMap((p) =>
      p.policy.Statement.filter((s) => s.Effect === "Allow").flatMap((s) =>
        [s.Action].flat().filter((a) => String(a).startsWith("kms:")),
      ),
    );
    expect(new Set(kms)).toEqual(new Set(["kms:GetPublicKey", "kms:Verify", "kms:DescribeKey"]));
  });

  it("only the executor can assume a customer's update role", async () => {
    const update = `arn:aws:iam::${CUSTOMER}:role/${PREFIX}-updater-eu-west-1`;
    const allowed: string[] = [];
    for (const role of [...main, ...updater]) {
      const trust = { Statement: [{ Effect: "Allow", Principal: { AWS: role.arn }, Action: "sts:AssumeRole" }] };
      if ((await decide(role, "sts:AssumeRole", update, { account: CUSTOMER, resourcePolicy: trust })) === "Allowed")
        allowed.push(role.name);
    }
    expect(allowed).toEqual(["ExecutorRole"]);
  });

  it("the Scheduler role may invoke the executor and no other function", async () => {
    const scheduler = named(updater, "SchedulerRole");
    const fn = (name: string) => `arn:aws:lambda:eu-west-1:${UPDATER}:function:${name}`;
    expect(
      await decide(scheduler, "lambda:InvokeFunction", fn("stackfleet-production-updater-executor"), {
        account: UPDATER,
      }),
    ).toBe("Allowed");
    for (const other of ["AnnounceFunction-mock", "SweeperFunction-mock", "anything"])
      expect(await decide(scheduler, "lambda:InvokeFunction", fn(other), { account: UPDATER })).not.toBe("Allowed");
  });
});

describe("the updater-owned table", () => {
  const write = (role: Role, action: string, leadingKey: string) =>
    decide(role, action, updaterTableArn, { account: UPDATER, context: { "dynamodb:LeadingKeys": [leadingKey] } });

  it("the executor and the announcer write first-seen and high-water items, never the emergency stop", async () => {
    for (const role of [named(updater, "ExecutorRole"), named(updater, "AnnounceRole")]) {
      expect(await write(role, "dynamodb:PutItem", "seen#abc.def"), role.name).toBe("Allowed");
      expect(await write(role, "dynamodb:UpdateItem", "hwm#int_1"), role.name).toBe("Allowed");
      expect(await write(role, "dynamodb:GetItem", "emergency-stop"), role.name).toBe("Allowed");
      for (const action of ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"])
        expect(await write(role, action, "emergency-stop"), `${role.name} ${action}`).not.toBe("Allowed");
      expect(await write(role, "dynamodb:DeleteItem", "hwm#int_1"), role.name).not.toBe("Allowed");
    }
  });

  it("only the security-team role sets and lifts the emergency stop, and it can touch nothing else", async () => {
    const security = named(updater, "SecurityTeamRole");
    for (const action of ["dynamodb:PutItem", "dynamodb:DeleteItem"]) {
      expect(await write(security, action, "emergency-stop")).toBe("Allowed");
      expect(await write(security, action, "hwm#int_1")).not.toBe("Allowed");
      expect(await write(security, action, "seen#abc.def")).not.toBe("Allowed");
    }
    const others = [...main, ...updater].filter((r) => r.name !== "SecurityTeamRole");
    for (const role of others)
      for (const action of ["dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:UpdateItem"])
        expect(await write(role, action, "emergency-stop"), `${role.name} ${action}`).not.toBe("Allowed");
    expect(
      await decide(SECURITY, "sts:AssumeRole", security.arn, { account: UPDATER, resourcePolicy: security.trust }),
    ).toBe("Allowed");
    expect(
      await decide(`arn:aws:iam::${UPDATER}:role/other`, "sts:AssumeRole", security.arn, {
        account: UPDATER,
        resourcePolicy: security.trust,
      }),
    ).not.toBe("Allowed");
  });

  it("gives the main stage nothing: the API can neither read nor write it", async () => {
    const api = named(main, "ApiRole");
    for (const action of ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"])
      for (const leadingKey of ["emergency-stop", "hwm#int_1", "seen#abc.def"])
        expect(await write(api, action, leadingKey), `${action} ${leadingKey}`).not.toBe("Allowed");
    for (const role of main) expect(await write(role, "dynamodb:PutItem", "hwm#int_1"), role.name).not.toBe("Allowed");
  });
});

describe("the main table's stream", () => {
  const streamArn = () => String(mainFirst.outputs.STACKFLEET_MAIN_TABLE_STREAM_ARN);
  it("is readable from the updater's account by the announcer alone, and only readable", async () => {
    const wiredArn = String(mainWired.outputs.STACKFLEET_MAIN_TABLE_STREAM_ARN);
    expect(wiredArn).toMatch(new RegExp(`^arn:aws:dynamodb:eu-west-1:${MAIN}:table/.+/stream/`));
    const policyResource = mainWired.resources.find((r) => r.name === "StreamAnnounceAccess");
    expect(policyResource?.inputs.resourceArn).toBe(wiredArn);
    // Each evaluation draws the table's random name suffix anew; in AWS both deploys see one table.
    const policy = parse(String(policyResource?.inputs.policy).replaceAll(wiredArn, streamArn()));
    const announcer = named(updater, "AnnounceRole");
    for (const action of ["dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:DescribeStream"])
      expect(await decide(announcer, action, streamArn(), { account: MAIN, resourcePolicy: policy }), action).toBe(
        "Allowed",
      );
    for (const role of updater.filter((r) => r.name !== "AnnounceRole"))
      expect(
        await decide(role, "dynamodb:GetRecords", streamArn(), { account: MAIN, resourcePolicy: policy }),
        role.name,
      ).not.toBe("Allowed");
    // Even a principal with a stream grant of its own gets nothing: the policy names one role.
    expect(policy.Statement.map((st) => st.Principal)).toEqual([{ AWS: announcer.arn }]);
    const granted = policy.Statement.flatMap((st) => [st.Action].flat());
    expect(granted.sort()).toEqual(["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"]);
  });
});
