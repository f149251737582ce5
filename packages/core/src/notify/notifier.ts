import type { EventRecord } from "../event/event";

/** What a subscriber receives for one customer-visible event. */
export interface Notification {
  eventId: string;
  at: string;
  action: string;
  actor: string;
  reason?: string | undefined;
  tenantId?: string | undefined;
  integrationId?: string | undefined;
  version?: string | undefined;
  runId?: string | undefined;
  data?: Record<string, unknown> | undefined;
}

/** Where notifications go: an SNS topic in AWS, a log (and memory) locally. At most 10 per call. */
export interface Notifier {
  publish(batch: readonly Notification[]): Promise<void>;
}

export const NOTIFIER_BATCH = 10;

export const toNotification = (e: EventRecord): Notification => ({
  eventId: e.eventId,
  at: e.at,
  action: e.action,
  actor: e.actor,
  reason: e.reason,
  tenantId: e.tenantId,
  integrationId: e.integrationId,
  version: e.version,
  runId: e.runId,
  data: e.data as Record<string, unknown> | undefined,
});
