import { generateKeyPairSync } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { METRIC_NAMESPACE, METRICS } from "../infra/metrics";
import { type Evaluation, evaluateStage } from "../scripts/infra-eval";
import { decide, parsePolicy } from "./support/iam";

/**
 * Both stage kinds of the real SST program (scripts/infra-eval.ts: SST's run() under Pulumi mocks),
 * their roles and key policies evaluated with AWS's IAM logic. Each test fails when a policy widens.
 */
const MAIN = "111111111111";
const UPDATER = "222222222222";
const PREFIX = "Acme";
const RELEASE_ENGINEER = `arn:aws:iam::${MAIN}:role/release-engineer`;
const APPROVER = `arn:aws:iam::${MAIN}:role/security-approver`;
const product = {
  STACKFLEET_VENDOR_NAME: "Acme",
  STACKFLEET_PRODUCT: "widgets",
  STACKFLEET_STACK_PREFIX: PREFIX,
};
const pinned = JSON.stringify([
  {
    keyId: "release-1",
    publicKeyPem: generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ type: "spki", format: "pem" }),
  },
]);
const mainEnv = (stage: string) => ({
  ...product,
  STACKFLEET_JWT_ISSUER: "https://id.example.com/",
  STACKFLEET_JWT_AUDIENCE: "stackfleet",
  STACKFLEET_JWKS_URL: "https://id.example.com/.well-known/jwks.json",
  STACKFLEET_UPDATER_ACCOUNT_ID: UPDATER,
  STACKFLEET_EXECUTOR_ROLE_NAME: `stackfleet-${stage}-updater-executor`,
  STACKFLEET_RELEASE_PRINCIPALS: RELEASE_ENGINEER,
  STACKFLEET_APPROVER_PRINCIPALS: APPROVER,
  STACKFLEET_GITHUB_REPOSITORY: "acme/stackfleet",
});
const updaterEnv = {
  ...product,
  STACKFLEET_MAIN_TABLE_ARN: `arn:aws:dynamodb:eu-west-1:${MAIN}:table/stackfleet-production-Table`,
  STACKFLEET_TEMPLATE_BUCKET_ARN: "arn:aws:s3:::stackfleet-production-templates",
  STACKFLEET_NOTIFICATION_TOPIC_ARN: `arn:aws:sns:eu-west-1:${MAIN}:stackfleet-production-Notifications`,
  STACKFLEET_MAIN_API_ROLE_ARN: `arn:aws:iam::${MAIN}:role/stackfleet-production-ApiRole`,
  STACKFLEET_PINNED_KEYS: pinned,
  STACKFLEET_PINNED_APPROVER_KEYS: pinned,
  STACKFLEET_API_BASE_URL: "https://api.example.com",
  STACKFLEET_TEMPLATE_BASE_URL: "https://stackfleet-production-templates.s3.eu-west-1.amazonaws.com/templates",
};

const parse = parsePolicy;

function resource(evaluation: Evaluation, type: string, name: string) {
  const found = evaluation.resources.find((r) => r.type === type && r.name === name);
  if (!found) throw new Error(`${type} ${name} not in ${evaluation.resources.map((r) => r.name).join(", ")}`);
  return found;
}

/** A role as IAM sees it: ARN, trust, and every identity policy (inline + RolePolicy resources). */
function role(evaluation: Evaluation, name: string, account: string) {
  const r = resource(evaluation, "aws:iam/role:Role", name);
  // Unnamed roles get the mocks' physical name and id (scripts/infra-eval/mocks.ts).
  const physical = String(r.inputs.name ?? `${name}-mock`);
  const arn = `arn:aws:iam::${account}:role/${physical}`;
  const inline = ((r.inputs.inlinePolicies ?? []) as { name: string; policy: string }[]).map((p) => ({
    name: p.name,
    policy: parse(p.policy),
  }));
  const attached = evaluation.resources
    .filter(
      (x) => x.type === "aws:iam/rolePolicy:RolePolicy" && [physical, `${physical}-id`].includes(String(x.inputs.role)),
    )
    .map((x) => ({ name: x.name, policy: parse(x.inputs.policy) }));
  return { arn, trust: parse(r.inputs.assumeRolePolicy), policies: [...inline, ...attached] };
}

type Role = ReturnType<typeof role>;

const customerUpdateRole = `arn:aws:iam::333333333333:role/${PREFIX}-updater-eu-west-1`;

/** Assuming a customer role with a trust that admits the caller: only the caller's own policy decides. */
function assumeCustomerRole(caller: Role, target: string): Promise<string> {
  const trust = { Statement: [{ Effect: "Allow", Principal: { AWS: caller.arn }, Action: "sts:AssumeRole" }] };
  return decide(caller, "sts:AssumeRole", target, { account: "333333333333", resourcePolicy: trust });
}
const customerIntegrationRole = `arn:aws:iam::333333333333:role/${PREFIX}-integration-eu-west-1`;

let production: Evaluation;
let productionUpdater: Evaluation;
let personalDev: Evaluation;
let personalUpdaterDev: Evaluation;
let productionUpdaterDev: Evaluation;

beforeAll(async () => {
  [production, productionUpdater, personalDev, personalUpdaterDev, productionUpdaterDev] = await Promise.all([
    evaluateStage({ stage: "production", env: mainEnv("production") }),
    evaluateStage({ stage: "production-updater", env: updaterEnv, account: UPDATER }),
    evaluateStage({ stage: "alice", env: mainEnv("alice"), dev: true }),
    evaluateStage({ stage: "alice-updater", env: updaterEnv, account: UPDATER, dev: true }),
    evaluateStage({ stage: "production-updater", env: updaterEnv, account: UPDATER, dev: true }),
  ]);
}, 120_000);

describe("the release key", () => {
  const key = () => resource(production, "aws:kms/key:Key", "SigningKey");
  const keyArn = `arn:aws:kms:eu-west-1:${MAIN}:key/mock-signingkey`;
  const keyPolicy = () => parse(key().inputs.policy);

  it("is an ECC_NIST_P256 signing key", () => {
    expect(key().inputs).toMatchObject({ customerMasterKeySpec: "ECC_NIST_P256", keyUsage: "SIGN_VERIFY" });
  });

  it("lets the release role sign", async () => {
    const release = role(production, "ReleaseRole", MAIN);
    expect(await decide(release, "kms:Sign", keyArn, { account: MAIN, resourcePolicy: keyPolicy() })).toBe("Allowed");
  });

  it("refuses kms:Sign to the API even if an identity policy granted it", async () => {
    const api = role(production, "ApiRole", MAIN);
    expect(await decide(api, "kms:Sign", keyArn, { account: MAIN, resourcePolicy: keyPolicy() })).not.toBe("Allowed");
    const apiWithSign = {
      ...api,
      policies: [
        ...api.policies,
        { name: "widened", policy: { Statement: [{ Effect: "Allow", Action: "kms:Sign", Resource: "*" }] } },
      ],
    };
    expect(await decide(apiWithSign, "kms:Sign", keyArn, { account: MAIN, resourcePolicy: keyPolicy() })).toBe(
      "ExplicitlyDenied",
    );
  });

  it("grants the API GetPublicKey and Verify at most", async () => {
    const api = role(production, "ApiRole", MAIN);
    const kmsActions = api.policies.flatMap((p) =>
      p.policy.Statement.flatMap((s) => [s.Action].flat().map(String)).filter((a) => a.startsWith("kms:")),
    );
    expect(kmsActions.sort()).toEqual(["kms:DescribeKey", "kms:GetPublicKey", "kms:Verify"]);
    for (const action of ["kms:GetPublicKey", "kms:Verify"]) {
      expect(await decide(api, action, keyArn, { account: MAIN, resourcePolicy: keyPolicy() })).toBe("Allowed");
    }
  });

  it("is usable for signing by no Lambda role of either stage", async () => {
    const lambdaRoles = [role(production, "ApiRole", MAIN), role(productionUpdater, "ExecutorRole", UPDATER)];
    for (const lambda of lambdaRoles) {
      expect(lambda.trust.Statement.some((s) => JSON.stringify(s.Principal).includes("lambda.amazonaws.com"))).toBe(
        true,
      );
      const widened = {
        ...lambda,
        policies: [{ name: "admin", policy: { Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] } }],
      };
      expect(await decide(widened, "kms:Sign", keyArn, { account: MAIN, resourcePolicy: keyPolicy() })).toBe(
        "ExplicitlyDenied",
      );
    }
  });

  it("is assumable only by the configured release principals and the release environment", async () => {
    const release = role(production, "ReleaseRole", MAIN);
    const trust = release.trust;
    expect(
      await decide(RELEASE_ENGINEER, "sts:AssumeRole", release.arn, { account: MAIN, resourcePolicy: trust }),
    ).toBe("Allowed");
    expect(await decide(APPROVER, "sts:AssumeRole", release.arn, { account: MAIN, resourcePolicy: trust })).not.toBe(
      "Allowed",
    );
    expect(
      await decide(`arn:aws:iam::${MAIN}:root`, "sts:AssumeRole", release.arn, {
        account: MAIN,
        resourcePolicy: trust,
      }),
    ).not.toBe("Allowed");
    // The simulator does not model web-identity federation: the trust statement is checked as data.
    const federated = trust.Statement.filter((st) => [st.Action].flat().includes("sts:AssumeRoleWithWebIdentity"));
    expect(federated).toEqual([
      {
        Effect: "Allow",
        Action: ["sts:AssumeRoleWithWebIdentity"],
        Principal: { Federated: [`arn:aws:iam::${MAIN}:oidc-provider/token.actions.githubusercontent.com`] },
        Condition: {
          StringEquals: {
            "token.actions.githubusercontent.com:aud": ["sts.amazonaws.com"],
            "token.actions.githubusercontent.com:sub": ["repo:acme/stackfleet:environment:release"],
          },
        },
      },
    ]);
  });

  it("has a distinct approver key and role for broadening versions", async () => {
    const approverKey = resource(production, "aws:kms/key:Key", "ApproverKey");
    const approverRole = role(production, "ApproverRole", MAIN);
    const release = role(production, "ReleaseRole", MAIN);
    const approverKeyArn = `arn:aws:kms:eu-west-1:${MAIN}:key/mock-approverkey`;
    const policy = parse(approverKey.inputs.policy);
    expect(await decide(approverRole, "kms:Sign", approverKeyArn, { account: MAIN, resourcePolicy: policy })).toBe(
      "Allowed",
    );
    expect(await decide(release, "kms:Sign", approverKeyArn, { account: MAIN, resourcePolicy: policy })).not.toBe(
      "Allowed",
    );
    expect(production.outputs.STACKFLEET_APPROVER_ROLE_ARN).toBe(approverRole.arn);
    expect(production.outputs.STACKFLEET_RELEASE_ROLE_ARN).toBe(release.arn);
  });
});

describe("who assumes what", () => {
  it("the API cannot assume any customer update role", async () => {
    const api = role(production, "ApiRole", MAIN);
    expect(await assumeCustomerRole(api, customerUpdateRole)).not.toBe("Allowed");
  });

  it("the API may assume only customers' integration roles (the registration probe)", async () => {
    const api = role(production, "ApiRole", MAIN);
    const assumable = api.policies.flatMap((p) =>
      p.policy.Statement.filter((s) => [s.Action].flat().includes("sts:AssumeRole")).flatMap((s) =>
        [s.Resource].flat(),
      ),
    );
    expect(assumable).toEqual([`arn:aws:iam::*:role/${PREFIX}-integration-*`]);
    expect(await assumeCustomerRole(api, customerIntegrationRole)).toBe("Allowed");
  });

  it("only the executor assumes update roles, and only <Prefix>-updater-*", async () => {
    const executor = role(productionUpdater, "ExecutorRole", UPDATER);
    expect(await assumeCustomerRole(executor, customerUpdateRole)).toBe("Allowed");
    expect(await assumeCustomerRole(executor, customerIntegrationRole)).not.toBe("Allowed");
    expect(await assumeCustomerRole(executor, `arn:aws:iam::333333333333:role/Other-updater-eu-west-1`)).not.toBe(
      "Allowed",
    );
    const others = [
      role(productionUpdater, "SchedulerRole", UPDATER),
      role(productionUpdater, "ScheduleWriterRole", UPDATER),
      role(production, "ReleaseRole", MAIN),
      role(production, "ApproverRole", MAIN),
    ];
    for (const other of others) {
      expect(await assumeCustomerRole(other, customerUpdateRole)).not.toBe("Allowed");
    }
  });

  it("the executor receives the pinned approver keys from the updater's configuration", () => {
    const executor = resource(productionUpdater, "aws:lambda/function:Function", "ExecutorFunction");
    const variables = (executor.inputs.environment as { variables: Record<string, string> }).variables;
    expect(variables.STACKFLEET_PINNED_APPROVER_KEYS).toBe(pinned);
    expect(variables.STACKFLEET_PINNED_KEYS).toBe(pinned);
  });

  it("the sweeper runs every 5 minutes, drains the dead letters and may invoke the executor but enter no customer account", async () => {
    const rule = resource(productionUpdater, "aws:cloudwatch/eventRule:EventRule", "SweeperScheduleRule");
    expect(rule.inputs.scheduleExpression).toBe("rate(5 minutes)");
    const mappings = productionUpdater.resources.filter(
      (r) => r.type === "aws:lambda/eventSourceMapping:EventSourceMapping",
    );
    expect(mappings.map((m) => String(m.inputs.eventSourceArn))).toEqual([
      expect.stringMatching(/^arn:aws:sqs:eu-west-1:222222222222:/),
    ]);
    const sweeper = role(productionUpdater, "SweeperRole", UPDATER);
    const actions = sweeper.policies.flatMap((p) => p.policy.Statement.flatMap((s) => [s.Action].flat() as string[]));
    expect(actions).toContain("lambda:InvokeFunction");
    expect(actions.some((a) => a.startsWith("sts:"))).toBe(false);
    expect(await assumeCustomerRole(sweeper, customerUpdateRole)).not.toBe("Allowed");
  });

  it("the Scheduler role only invokes the executor (and dead-letters to its queue)", () => {
    const scheduler = role(productionUpdater, "SchedulerRole", UPDATER);
    const grants = scheduler.policies.flatMap((p) =>
      p.policy.Statement.map((s) => [[s.Action].flat(), [s.Resource].flat()]),
    );
    expect(grants).toEqual([
      [
        ["lambda:InvokeFunction"],
        [`arn:aws:lambda:eu-west-1:${UPDATER}:function:stackfleet-production-updater-executor`],
      ],
      [["sqs:SendMessage"], [expect.stringMatching(/^arn:aws:sqs:eu-west-1:222222222222:/)]],
    ]);
    expect(JSON.stringify(scheduler.trust.Statement[0]?.Principal)).toContain("scheduler.amazonaws.com");
  });

  it("nothing in either stage allows * on *", () => {
    for (const evaluation of [production, productionUpdater]) {
      const documents = evaluation.resources.flatMap((r) => {
        if (r.type === "aws:iam/role:Role")
          return ((r.inputs.inlinePolicies ?? []) as { policy: string }[]).map((p) => parse(p.policy));
        if (r.type === "aws:iam/rolePolicy:RolePolicy" || r.type === "aws:iam/policy:Policy")
          return [parse(r.inputs.policy)];
        return [];
      });
      expect(documents.length).toBeGreaterThan(2);
      for (const doc of documents) {
        for (const s of doc.Statement.filter((x) => x.Effect === "Allow")) {
          const star = [s.Action].flat().includes("*") && [s.Resource].flat().includes("*");
          expect(star, JSON.stringify(s)).toBe(false);
        }
      }
    }
  });
});

describe("function role trust and sst dev", () => {
  const trusted = (r: Role) =>
    r.trust.Statement.flatMap((s) => Object.values(s.Principal as Record<string, unknown>).flat());

  it("executor and API trust only lambda.amazonaws.com on permanent stages, even under sst dev", () => {
    expect(trusted(role(production, "ApiRole", MAIN))).toEqual(["lambda.amazonaws.com"]);
    expect(trusted(role(productionUpdater, "ExecutorRole", UPDATER))).toEqual(["lambda.amazonaws.com"]);
    expect(trusted(role(productionUpdaterDev, "ExecutorRole", UPDATER))).toEqual(["lambda.amazonaws.com"]);
    expect(productionUpdaterDev.liveFunctions).toEqual([]);
  });

  it("a personal stage under sst dev runs the API and the executor live, with SST's dev trust", () => {
    expect(personalDev.liveFunctions).toContain("Api");
    expect(personalUpdaterDev.liveFunctions).toContain("Executor");
    expect(trusted(role(personalUpdaterDev, "ExecutorRole", UPDATER))).toContain(`arn:aws:iam::${UPDATER}:root`);
  });
});

describe("alarms and dashboards", () => {
  const alarms = (e: Evaluation) => e.resources.filter((r) => r.type === "aws:cloudwatch/metricAlarm:MetricAlarm");
  const topic = (e: Evaluation) => e.outputs.STACKFLEET_OPERATOR_ALERTS_TOPIC_ARN;

  it("the updater alarms on executor errors, dead letters, sweeper findings, refusals and the failed-run rate", () => {
    const byName = Object.fromEntries(alarms(productionUpdater).map((a) => [a.name, a.inputs]));
    expect(Object.keys(byName).sort()).toEqual([
      "DeadLettersAlarm",
      "ExecutorErrorsAlarm",
      "FailedRunRateAlarm",
      "RunsRefusedAlarm",
      "SweeperFindingsAlarm",
    ]);
    expect(byName.SweeperFindingsAlarm).toMatchObject({
      namespace: METRIC_NAMESPACE,
      metricName: METRICS.sweeperFindings,
      dimensions: { Stage: "production-updater" },
    });
    expect(byName.ExecutorErrorsAlarm).toMatchObject({
      namespace: "AWS/Lambda",
      metricName: "Errors",
      dimensions: { FunctionName: "stackfleet-production-updater-executor" },
    });
    // The sweeper drains the queue: what arrives is counted, not what waits.
    expect(byName.DeadLettersAlarm).toMatchObject({ namespace: "AWS/SQS", metricName: "NumberOfMessagesSent" });
    const queries = (byName.FailedRunRateAlarm?.metricQueries ?? []) as {
      metric?: { metricName: string; namespace: string };
    }[];
    expect(queries.flatMap((q) => (q.metric ? [q.metric.metricName] : []))).toEqual([
      METRICS.runsFailed,
      METRICS.runsSucceeded,
    ]);
    expect(queries[0]?.metric?.namespace).toBe(METRIC_NAMESPACE);
    for (const alarm of Object.values(byName)) expect(alarm?.alarmActions).toEqual([topic(productionUpdater)]);
  });

  it("the main stage alarms on planning lag, to its operator topic", () => {
    const byName = Object.fromEntries(alarms(production).map((a) => [a.name, a.inputs]));
    expect(byName.SweeperFindingsAlarm).toBeUndefined();
    expect(byName.PlanningLagAlarm).toMatchObject({
      namespace: METRIC_NAMESPACE,
      metricName: METRICS.planningLagSeconds,
      statistic: "Maximum",
    });
    for (const alarm of Object.values(byName)) expect(alarm?.alarmActions).toEqual([topic(production)]);
  });

  it("each stage has a dashboard of its rollout metrics", () => {
    const body = (e: Evaluation, name: string) =>
      JSON.stringify(JSON.parse(String(resource(e, "aws:cloudwatch/dashboard:Dashboard", name).inputs.dashboardBody)));
    expect(body(production, "RolloutsDashboard")).toContain(METRICS.planningLagSeconds);
    expect(body(productionUpdater, "RunsDashboard")).toContain(METRICS.runsFailed);
  });
});

describe("custom metrics", () => {
  it("every function publishing Stackfleet metrics is told its stage, the alarms' only dimension", () => {
    const variables = (e: Evaluation, name: string) =>
      (resource(e, "aws:lambda/function:Function", name).inputs.environment as { variables: Record<string, string> })
        .variables;
    expect(variables(productionUpdater, "ExecutorFunction").STACKFLEET_STAGE).toBe("production-updater");
    expect(variables(productionUpdater, "SweeperFunction").STACKFLEET_STAGE).toBe("production-updater");
    expect(variables(production, "PlannerFunction").STACKFLEET_STAGE).toBe("production");
  });
});

describe("the planner function", () => {
  const lambdaArn = (name: string) => `arn:aws:lambda:eu-west-1:${MAIN}:function:stackfleet-production-${name}`;

  it("runs one at a time with the API's role and plans with its own share of the CreateSchedule quota", () => {
    const planner = resource(production, "aws:lambda/function:Function", "PlannerFunction");
    const api = resource(production, "aws:lambda/function:Function", "ApiFunction");
    expect(planner.inputs).toMatchObject({ name: "stackfleet-production-planner", reservedConcurrentExecutions: 1 });
    expect(planner.inputs.role).toBe(api.inputs.role);
    const env = (f: typeof planner) => (f.inputs.environment as { variables: Record<string, string> }).variables;
    expect(env(planner)).toMatchObject({
      STACKFLEET_PLANNER_FUNCTION: "stackfleet-production-planner",
      STACKFLEET_CREATE_SCHEDULE_RATE: "4500",
    });
  });

  it("leaves the executor the memory the cost model assumes (256 MB: it mostly waits on AWS)", () => {
    const executor = resource(productionUpdater, "aws:lambda/function:Function", "ExecutorFunction");
    expect(executor.inputs.memorySize).toBe(256);
  });

  it("is what the API hands plans to: the API may invoke the planner, never itself", async () => {
    const api = role(production, "ApiRole", MAIN);
    const invoke = (name: string) => decide(api, "lambda:InvokeFunction", lambdaArn(name), { account: MAIN });
    expect(await invoke("planner")).toBe("Allowed");
    expect(await invoke("api")).not.toBe("Allowed");
  });
});
