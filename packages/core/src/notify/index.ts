export { type Notification, type Notifier, NOTIFIER_BATCH, toNotification } from "./notifier";
export { createSnsNotifier } from "./sns";
export { createLocalNotifier } from "./local";
export * as Outbox from "./deliver";
