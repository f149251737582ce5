import type { MessageAttributeValue, SNSClient } from "@aws-sdk/client-sns";
import type { Notifier } from "./notifier";

const attribute = (value: string | undefined): MessageAttributeValue | undefined =>
  value ? { DataType: "String", StringValue: value } : undefined;

/**
 * Publishes to the vendor's notification topic. Tenant, integration and action ride as message
 * attributes so subscribers (the vendor's dashboard, e-mail, chat) filter with SNS filter
 * policies instead of parsing bodies.
 */
export function createSnsNotifier(options: { client: SNSClient; topicArn: string }): Notifier {
  return {
    async publish(batch) {
      if (batch.length === 0) return;
      // The command class loads with the package, on first use (see aws/lazy-client.ts).
      const { PublishBatchCommand } = await import("@aws-sdk/client-sns");
      const out = await options.client.send(
        new PublishBatchCommand({
          TopicArn: options.topicArn,
          PublishBatchRequestEntries: batch.map((n, i) => ({
            Id: String(i),
            Message: JSON.stringify(n),
            MessageAttributes: Object.fromEntries(
              Object.entries({
                tenant: attribute(n.tenantId),
                integration: attribute(n.integrationId),
                action: attribute(n.action),
              }).filter((entry): entry is [string, MessageAttributeValue] => entry[1] !== undefined),
            ),
          })),
        }),
      );
      const failed = out.Failed ?? [];
      // The whole batch stays undelivered and the sweeper retries it; subscribers dedupe by eventId.
      if (failed.length > 0)
        throw new Error(`SNS refused ${failed.length} notification(s): ${failed.map((f) => f.Code).join(", ")}`);
    },
  };
}
