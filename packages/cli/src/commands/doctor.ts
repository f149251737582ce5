import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { KMSClient } from "@aws-sdk/client-kms";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { Command } from "commander";
import type { CliContext } from "../context";
import { DEPLOY_RECORDS_DIR } from "../deploy-plan";
import { type AwsClients, awsChecks } from "../doctor/aws-checks";
import { type Finding, type Outputs, offlineChecks } from "../doctor/checks";
import { CliError, ExitCode } from "../errors";
import { table } from "../output";

interface DoctorOptions {
  stage: string;
  records: string;
  aws?: boolean;
  mainProfile?: string;
  updaterProfile?: string;
  trustMainKeys?: boolean;
  json?: boolean;
}

/** The outputs `npm run deploy` recorded for a stage, if it did. */
function recordOf(dir: string, stage: string): Outputs | undefined {
  const file = join(dir, `${stage}.json`);
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Outputs) : undefined;
}

const clientsFor = (options: DoctorOptions): AwsClients => {
  const main = options.mainProfile ? { profile: options.mainProfile } : {};
  const updater = options.updaterProfile ? { profile: options.updaterProfile } : {};
  return {
    main: { kms: new KMSClient(main), lambda: new LambdaClient(main) },
    updater: { lambda: new LambdaClient(updater) },
    fetch,
  };
};

/**
 * `stackfleet doctor --stage X`: before a deploy, is the environment complete and are the keys
 * right; after it (`--aws`), did both stages come out wired together, and do the deployed functions
 * have what they need. Each finding says what is wrong and what to do; any failure exits 1.
 */
export function doctorCommand(ctx: CliContext, aws: (o: DoctorOptions) => AwsClients = clientsFor): Command {
  return new Command("doctor")
    .description(
      "check a deployment's configuration, pinned keys, roles and outputs, before and after `npm run deploy`",
    )
    .requiredOption("--stage <name>", "the main stage (its updater is <name>-updater)")
    .option("--records <dir>", "where `npm run deploy` recorded each stage's outputs", DEPLOY_RECORDS_DIR)
    .option("--aws", "also check the deployed functions and keys (needs credentials for both accounts)")
    .option("--main-profile <profile>", "AWS profile of the main (vendor) account")
    .option("--updater-profile <profile>", "AWS profile of the updater account")
    .option("--trust-main-keys", "the deploy pins the main stage's own release key (as `npm run deploy` would)")
    .option("--json", "print the findings as JSON")
    .action(async (options: DoctorOptions) => {
      const main = recordOf(options.records, options.stage);
      const updater = recordOf(options.records, `${options.stage}-updater`);
      const recorded = main || updater ? { main, updater } : undefined;
      const findings: Finding[] = offlineChecks(options.stage, process.env, recorded, options);
      if (options.aws) {
        if (!main || !updater) {
          findings.push({
            check: "aws",
            status: "fail",
            detail: "deploy both stages first: --aws checks what was recorded",
          });
        } else {
          findings.push(...(await awsChecks(options.stage, { main, updater }, aws(options))));
        }
      }
      ctx.io.out(
        options.json
          ? JSON.stringify({ stage: options.stage, findings }, null, 2)
          : table(
              ["", "check", "detail"],
              findings.map((f) => [
                f.status === "ok" ? "ok" : f.status === "warn" ? "WARN" : "FAIL",
                f.check,
                f.detail,
              ]),
            ),
      );
      const failed = findings.filter((f) => f.status === "fail").length;
      if (failed > 0)
        throw new CliError(ExitCode.failure, `${failed} check(s) failed`, "fix each FAIL above, then run doctor again");
    });
}
