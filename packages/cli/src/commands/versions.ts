import { readFile, writeFile } from "node:fs/promises";
import { Changelog } from "@stackfleet/core/changelog";
import { Command } from "commander";
import { type ChangelogFormat, formatOption, renderChangelog } from "../changelog-format";
import { type CliContext, invocation } from "../context";
import { CliError, ExitCode, usageError } from "../errors";
import { fields, show, table } from "../output";
import {
  approveSigned,
  type KeyOptions,
  releaseSigned,
  type SignedReleaseOptions,
  signerFrom,
} from "../release-signing";
import { type Page, type Plan, type Version, versionPath } from "../views";

const collect = (value: string, previous: string[] = []) => [...previous, value];

const planText = (plan: Plan | null) =>
  plan
    ? `rollout: ${plan.planned} planned, ${plan.existing} already planned, ${plan.skipped} skipped${plan.continuing ? " (planning continues in the background)" : ""}`
    : "rollout: not planned yet (awaits approval: `stackfleet versions approve VERSION`)";

export const versionText = (v: Version) =>
  fields([
    ["version", v.version],
    ["state", v.stateReason ? `${v.state} (${v.stateReason})` : v.state],
    ["grace ends", v.graceEndsAt],
    ["changes", v.changelogSummary],
    ["broadens", v.permissionsBroadened ? "yes: permissions broaden" : "no"],
    [
      "approval",
      v.approvalRequired ? (v.approvedBy ? `approved by ${v.approvedBy}` : "required, not given") : undefined,
    ],
    ["template", `sha256 ${v.template.sha256}, ${v.template.size} bytes`],
    ["published", `${v.createdAt} by ${v.publishedBy}`],
  ]);

interface ReleaseOptions extends KeyOptions, SignedReleaseOptions {}

const hours = (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw usageError(`--grace wants hours (a number ≥ 0), not "${value}"`);
  return n;
};
const days = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw usageError(`--lifetime-days wants a whole number of days, not "${value}"`);
  return n;
};

/**
 * With a release key (`--key-file`, `--kms-key`): changelog, manifest and signature are made here
 * and the API only verifies. Without one: the one-step form, which only a local API that holds a
 * dev signer accepts (`npm start`); elsewhere it is 400 signing_not_available.
 */
function releaseCommand(ctx: CliContext, name: string, description: string): Command {
  return new Command(name)
    .description(description)
    .argument("<file>", "the template (YAML or JSON), exactly as it will be deployed")
    .requiredOption("--version <x.y.z>", "the new version")
    .option("--key-file <pem>", "sign with this release key file (P-256 PKCS#8 PEM, mode 0600)")
    .option("--kms-key <arn>", "sign with this KMS key (ECC_NIST_P256; the release role's credentials)")
    .option("--grace <hours>", "grace period (default: 24 h, 72 h when permissions broaden)", hours)
    .option("--lifetime-days <days>", "days the signed manifest stays deployable after its grace end", days, 90)
    .option("--product <name>", "product of the first release (later ones follow the latest)")
    .option("--stack-prefix <prefix>", "stack prefix of the first release (later ones follow the latest)")
    .option("--min-from <x.y.z>", "oldest version that may update straight to this one")
    .option("--param <name>", "a parameter this version may set (repeatable); others keep their value", collect)
    .action(async (file: string, o: ReleaseOptions, command: Command) => {
      const run = invocation(ctx, command);
      let template: Buffer;
      try {
        template = await readFile(file);
      } catch (e) {
        throw new CliError(ExitCode.failure, `${file}: ${(e as Error).message}`);
      }
      const signer = await signerFrom(o);
      const body = signer
        ? await releaseSigned(run.api(), signer, new Uint8Array(template), o)
        : await run.api().request<Version & { plan: Plan | null }>("POST", "/v1/versions", {
            body: {
              version: o.version,
              template: template.toString("utf8"),
              minFromVersion: o.minFrom,
              parameters: o.param,
            },
          });
      show(run.io, run.json, body, (v) =>
        [
          `Published ${v.version}: ${v.changelogSummary}`,
          ...(signer ? [`Signed with ${signer.keyId}`] : []),
          `Grace period ends ${v.graceEndsAt}`,
          planText(v.plan),
        ].join("\n"),
      );
    });
}

/** `stackfleet publish` — the name the README used first; kept as an alias of `versions release`. */
export const publishAlias = (ctx: CliContext) =>
  releaseCommand(ctx, "publish", "alias of `versions release`: publish a template version (operators)");

/** `stackfleet versions …`: publish and inspect template versions. */
export function versionsCommand(ctx: CliContext): Command {
  const root = new Command("versions").description("publish and inspect template versions");
  root.addCommand(
    releaseCommand(ctx, "release", "publish a template version: sign, store, changelog, plan (operators)").alias(
      "publish",
    ),
  );

  root
    .command("list")
    .description("published versions, latest first")
    .action(async (_o, command: Command) => {
      const run = invocation(ctx, command);
      const page = await run.api().request<Page<Version>>("GET", "/v1/versions");
      show(run.io, run.json, page, (p) =>
        table(
          ["VERSION", "STATE", "GRACE ENDS", "BROADENS", "CHANGES"],
          p.items.map((v) => [
            v.version,
            v.state,
            v.graceEndsAt,
            v.permissionsBroadened ? "yes" : "no",
            v.changelogSummary,
          ]),
        ),
      );
    });

  root
    .command("show")
    .description("one version: state, grace end, changelog summary, template digest (--json: manifest and signature)")
    .argument("<version>", "e.g. 1.2.0")
    .action(async (version: string, _o, command: Command) => {
      const run = invocation(ctx, command);
      show(run.io, run.json, await run.api().request<Version>("GET", versionPath(version)), versionText);
    });

  root
    .command("changelog")
    .description("what changes from another version (default: the previous one) to this one")
    .argument("<version>", "the newer version")
    .option("--from <version>", "the older version (default: the one before)")
    .addOption(formatOption())
    .action(async (version: string, _o, command: Command) => {
      const run = invocation(ctx, command);
      const o = command.optsWithGlobals<{ from?: string; format: ChangelogFormat; json?: boolean }>();
      const body = await run.api().request("GET", `${versionPath(version)}/changelog`, { query: { from: o.from } });
      run.io.out(renderChangelog(Changelog.parse(body), o.json ? "json" : o.format));
    });

  root
    .command("template")
    .description("download a version's exact template bytes")
    .argument("<version>", "e.g. 1.2.0")
    .option("-o, --output <file>", "write to this file (default: stdout)")
    .action(async (version: string, o: { output?: string }, command: Command) => {
      const run = invocation(ctx, command);
      const bytes = await downloadTemplate(run.api(), version);
      if (o.output) {
        await writeFile(o.output, bytes);
        run.io.err(`wrote ${version} (${bytes.length} bytes) to ${o.output}`);
      } else run.io.out(bytes.toString("utf8"));
    });

  root
    .command("approve")
    .description("approve a broadening version with the approver key's signature, and plan its rollout")
    .argument("<version>", "the version awaiting approval")
    .option("--key-file <pem>", "sign with this approver key file (P-256 PKCS#8 PEM, mode 0600)")
    .option("--kms-key <arn>", "sign with this approver KMS key (the approver role's credentials)")
    .action(async (version: string, o: KeyOptions, command: Command) => {
      const run = invocation(ctx, command);
      const signer = await signerFrom(o);
      if (!signer) {
        throw usageError(
          "approval is the approver key's signature over the version's manifest",
          "add --key-file PEM or --kms-key ARN (a key pinned in STACKFLEET_PINNED_APPROVER_KEYS)",
        );
      }
      const body = await approveSigned(run.api(), signer, version);
      show(run.io, run.json, body, (v) => `${v.version} approved with ${signer.keyId}\n${planText(v.plan)}`);
    });
  return root;
}

async function downloadTemplate(api: ReturnType<ReturnType<typeof invocation>["api"]>, version: string) {
  try {
    return Buffer.from(
      await (await api.requestRaw("GET", `${versionPath(version)}/template?format=raw`)).arrayBuffer(),
    );
  } catch (e) {
    // An older API answers the generic route_not_found; say what is missing rather than "not found".
    if (e instanceof CliError && e.message.includes("route_not_found"))
      throw new CliError(
        ExitCode.failure,
        `the API at ${api.baseUrl} does not offer template downloads (GET /v1/versions/{version}/template)`,
        "update the API, or read the template's digest with `stackfleet versions show VERSION --json`",
      );
    throw e;
  }
}
