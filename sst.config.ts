/// <reference path="./.sst/platform/config.d.ts" />

/**
 * Stackfleet deploys as two kinds of stage, chosen by the stage name alone, so the kind shows in
 * every command, every resource name and every `sst` output:
 *
 * - `<name>-updater` (e.g. `production-updater`): the updater — schedule group, dead-letter queue,
 *   Scheduler's role, the executor and its role, the only principal that may assume customer update
 *   roles. Deploy it into its own AWS account for isolation, or beside the main stage.
 * - any other name (e.g. `production`): the main stage — table, API, template bucket, signing key,
 *   notification topic.
 *
 * A stage's outputs are named after the environment variables the other stage reads
 * (infra/config.ts), so wiring them together is copying `.sst/outputs.json` into the environment.
 * `production` and `production-updater` are permanent: protected from `sst remove`, and their
 * table, bucket, signing key and executor role outlive removal.
 */
export default $config({
  app(input) {
    const permanent = input.stage === "production" || input.stage === "production-updater";
    return {
      name: "stackfleet",
      home: "aws",
      removal: permanent ? "retain" : "remove",
      protect: permanent,
    };
  },
  async run() {
    if ($app.stage.endsWith("-updater")) {
      const { deadLetters, executor, scheduleGroup, schedulerRole, scheduleWriter } = await import("./infra/updater");
      return {
        STACKFLEET_SCHEDULE_GROUP_ARN: scheduleGroup.arn,
        STACKFLEET_SCHEDULER_ROLE_ARN: schedulerRole.arn,
        STACKFLEET_EXECUTOR_ARN: executor.arn,
        STACKFLEET_EXECUTOR_ROLE_ARN: executor.nodes.role.arn,
        STACKFLEET_SCHEDULE_DLQ_ARN: deadLetters.arn,
        ...(scheduleWriter ? { STACKFLEET_SCHEDULE_WRITER_ROLE_ARN: scheduleWriter.arn } : {}),
      };
    }

    const { table } = await import("./infra/storage");
    const { templates, templatesUrl } = await import("./infra/templates");
    const { signingKey } = await import("./infra/signing");
    const { notifications } = await import("./infra/notifications");
    const { api, gateway, trustedKeys } = await import("./infra/api");
    return {
      signingKeyArn: signingKey.arn,
      STACKFLEET_NOTIFICATION_TOPIC_ARN: notifications.arn,
      STACKFLEET_API_BASE_URL: gateway.url,
      STACKFLEET_TEMPLATE_BASE_URL: templatesUrl,
      STACKFLEET_PINNED_KEYS: trustedKeys,
      STACKFLEET_MAIN_TABLE_ARN: table.arn,
      STACKFLEET_TEMPLATE_BUCKET_ARN: templates.arn,
      STACKFLEET_MAIN_API_ROLE_ARN: api.nodes.role.arn,
    };
  },
});
