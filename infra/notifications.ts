import { updaterCoordinates } from "./config";

/** Customer and operator notifications leave through this topic; the vendor subscribes its channels. */
export const notifications = new sst.aws.SnsTopic("Notifications");

const updater = updaterCoordinates();

// The executor announces run outcomes itself; from another account it also needs the topic's
// consent, as the table and the template bucket give theirs.
if (updater) {
  new aws.sns.TopicPolicy("NotificationsExecutorPublish", {
    arn: notifications.arn,
    policy: $jsonStringify({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { AWS: updater.executorRoleArn },
          Action: "sns:Publish",
          Resource: notifications.arn,
        },
      ],
    }),
  });
}
