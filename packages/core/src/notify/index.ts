export * as Outbox from "./deliver";
export { NOTIFIER_BATCH, type Notification, type Notifier, toNotification } from "./notifier";
export { createSnsNotifier } from "./sns";
