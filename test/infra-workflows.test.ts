import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

/** The CI/CD workflows as data: OIDC only, and signing only from the protected environments. */
const root = path.resolve(import.meta.dirname, "..");
const read = (name: string) => readFileSync(path.join(root, ".github", "workflows", name), "utf8");

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, string>;
}
interface Job {
  environment?: string;
  permissions?: Record<string, string>;
  steps?: Step[];
  uses?: string;
  needs?: string | string[];
  if?: string;
}
interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  jobs: Record<string, Job>;
}

const ci = parse(read("ci.yml")) as Workflow;
const release = parse(read("release.yml")) as Workflow;
const awsLogin = (job: Job) =>
  job.steps?.filter((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@")) ?? [];

describe("workflows", () => {
  it("reference no long-lived AWS keys anywhere", () => {
    for (const text of [read("ci.yml"), read("release.yml")]) {
      expect(text).not.toMatch(
        /aws-access-key-id|aws-secret-access-key|AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN/,
      );
      expect(text).not.toMatch(/secrets\.AWS/);
    }
  });

  it("ci runs npm ci && npm test on pull requests and pushes, without AWS", () => {
    expect(Object.keys(ci.on)).toEqual(expect.arrayContaining(["pull_request", "push"]));
    expect(ci.permissions).toEqual({ contents: "read" });
    const runs = ci.jobs.test?.steps?.flatMap((s) => (s.run ? [s.run] : []));
    expect(runs).toEqual(["npm ci", "npm test"]);
    expect(awsLogin(ci.jobs.test ?? {})).toEqual([]);
  });

  it("every job that reaches AWS does so by OIDC (id-token: write, role-to-assume)", () => {
    const withAws = Object.entries(release.jobs).filter(([, job]) => awsLogin(job).length > 0);
    expect(withAws.map(([name]) => name).sort()).toEqual(["approve", "deploy", "release"]);
    for (const [, job] of withAws) {
      expect(job.permissions?.["id-token"]).toBe("write");
      for (const step of awsLogin(job)) expect(Object.keys(step.with ?? {})).toContain("role-to-assume");
    }
    expect(release.permissions).toEqual({ contents: "read" });
  });

  it("deploys on a version tag, after the tests, with the deploy script", () => {
    expect(release.on.push).toEqual({ tags: ["v*"] });
    const deploy = release.jobs.deploy ?? {};
    expect(deploy.needs).toBe("test");
    expect(release.jobs.test?.uses).toBe("./.github/workflows/ci.yml");
    expect(deploy.steps?.some((s) => s.run?.startsWith("npm run deploy -- --stage production"))).toBe(true);
  });

  it("signs only in the release job, with the release role, in the protected release environment", () => {
    const job = release.jobs.release ?? {};
    expect(job.environment).toBe("release");
    expect(awsLogin(job).map((s) => s.with?.["role-to-assume"])).toEqual(["${{ vars.STACKFLEET_RELEASE_ROLE_ARN }}"]);
    expect(job.steps?.some((s) => s.run?.includes("stackfleet versions release"))).toBe(true);
    for (const [name, other] of Object.entries(release.jobs)) {
      if (name === "release") continue;
      expect(awsLogin(other).map((s) => s.with?.["role-to-assume"])).not.toContain(
        "${{ vars.STACKFLEET_RELEASE_ROLE_ARN }}",
      );
    }
  });

  it("asks a required reviewer (release-approval) for the approver signature of broadening versions", () => {
    const job = release.jobs.approve ?? {};
    expect(job.environment).toBe("release-approval");
    expect(job.needs).toBe("release");
    expect(job.if).toContain("inputs.broadening");
    expect(awsLogin(job).map((s) => s.with?.["role-to-assume"])).toEqual(["${{ vars.STACKFLEET_APPROVER_ROLE_ARN }}"]);
  });
});
