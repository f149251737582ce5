/// <reference path="./.sst/platform/config.d.ts" />

/**
 * Stackfleet deploys as two kinds of stage, chosen by the stage name alone, so the kind shows in
 * every command, every resource name and every `sst` output:
 *
 * - `<name>-updater` (e.g. `production-updater`): the updater — schedule group, dead-letter queue,
 *   Scheduler's role, the executor and its role, the only principal that may assume customer update
 *   roles. Deploy it into its own AWS account for isolation, or beside the main stage.
 * - any other name (e.g. `production`): the main stage — table, API, template bucket, the release
 *   and approver signing keys with the only roles that may sign, notification topic.
 *
 * Both stages get an operator alert topic, alarms and a dashboard (infra/monitoring.ts).
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
      const { deadLetters, executor, executorName, scheduleGroup, schedulerRole, scheduleWriter } = await import(
        "./infra/updater"
      );
      const { announcer, securityTeamRole, updaterState } = await import("./infra/updater-state");
      const { operatorAlerts, updaterMonitoring } = await import("./infra/monitoring");
      updaterMonitoring(executorName, deadLetters.nodes.queue.name);
      return {
        STACKFLEET_OPERATOR_ALERTS_TOPIC_ARN: operatorAlerts.arn,
        STACKFLEET_SCHEDULE_GROUP_ARN: scheduleGroup.arn,
        STACKFLEET_UPDATER_STATE_TABLE_ARN: updaterState.arn,
        STACKFLEET_SECURITY_TEAM_ROLE_ARN: securityTeamRole.arn,
        STACKFLEET_ANNOUNCE_ROLE_ARN: announcer.nodes.role.arn,
        STACKFLEET_SCHEDULER_ROLE_ARN: schedulerRole.arn,
        STACKFLEET_EXECUTOR_ARN: executor.arn,
        STACKFLEET_EXECUTOR_ROLE_ARN: executor.nodes.role.arn,
        STACKFLEET_SCHEDULE_DLQ_ARN: deadLetters.arn,
        ...(scheduleWriter ? { STACKFLEET_SCHEDULE_WRITER_ROLE_ARN: scheduleWriter.arn } : {}),
      };
    }

    const { table } = await import("./infra/storage");
    const { templates, templatesUrl } = await import("./infra/templates");
    const { approver, release } = await import("./infra/signing");
    const { notifications } = await import("./infra/notifications");
    const { api, apiName, gateway, trustedKeys } = await import("./infra/api");
    await import("./infra/planner");
    const { mainMonitoring, operatorAlerts } = await import("./infra/monitoring");
    mainMonitoring(apiName);
    return {
      STACKFLEET_RELEASE_ROLE_ARN: release.role.arn,
      STACKFLEET_RELEASE_KEY_ARN: release.key.arn,
      STACKFLEET_APPROVER_ROLE_ARN: approver.role.arn,
      STACKFLEET_APPROVER_KEY_ARN: approver.key.arn,
      STACKFLEET_PINNED_APPROVER_KEYS: approver.pinned,
      STACKFLEET_OPERATOR_ALERTS_TOPIC_ARN: operatorAlerts.arn,
      STACKFLEET_NOTIFICATION_TOPIC_ARN: notifications.arn,
      STACKFLEET_API_BASE_URL: gateway.url,
      STACKFLEET_TEMPLATE_BASE_URL: templatesUrl,
      STACKFLEET_PINNED_KEYS: trustedKeys,
      STACKFLEET_MAIN_TABLE_ARN: table.arn,
      STACKFLEET_MAIN_TABLE_STREAM_ARN: table.nodes.table.streamArn,
      STACKFLEET_TEMPLATE_BUCKET_ARN: templates.arn,
      STACKFLEET_MAIN_API_ROLE_ARN: api.nodes.role.arn,
    };
  },
});
