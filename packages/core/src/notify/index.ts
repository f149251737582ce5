export * as Outbox from "./deliver";
export { createLocalNotifier } from "./local";
export { NOTIFIER_BATCH, type Notification, type Notifier, toNotification } from "./notifier";
export { createSnsNotifier } from "./sns";
