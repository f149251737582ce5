import type { Deps } from "../context";
import type { StackfleetError } from "../error";
import { append } from "../event/event";
import type { Log } from "../log";
import type { RegistrationCallback } from "./callback";
import type { IntegrationRecord } from "./integration";

/** Refusals are counted per integration per hour; counters are kept 30 days. */
export const REFUSAL_WINDOW_MS = 3_600_000;
const KEEP_SECONDS = 30 * 86_400;

export const windowOf = (at: Date, windowMs = REFUSAL_WINDOW_MS) =>
  new Date(Math.floor(at.getTime() / windowMs) * windowMs).toISOString();

/**
 * One CloudWatch metric per refusal, as an Embedded Metric Format log line (Lambda's log becomes
 * the metric with no extra call); locally it is just a JSON line. Carries no account or ExternalId.
 */
export function refusalMetric(log: Log, reason: string, requestType: string, known: boolean) {
  log.info("registration callback refused", {
    _aws: {
      Timestamp: Date.now(),
      CloudWatchMetrics: [
        {
          Namespace: "Stackfleet",
          Dimensions: [["Reason", "Known"]],
          Metrics: [{ Name: "RefusedCallbacks", Unit: "Count" }],
        },
      ],
    },
    Reason: reason,
    Known: String(known),
    RequestType: requestType,
    RefusedCallbacks: 1,
  });
}

/**
 * Records a refused callback without letting the caller write unbounded data: an unknown
 * integration writes nothing (a metric only); a known one increments ONE counter item for the
 * current window, and the first refusal of a window also goes on the integration's audit trail,
 * where its tenant sees it.
 */
export async function recordRefusal(
  deps: Deps,
  log: Log,
  integration: IntegrationRecord | undefined,
  callback: RegistrationCallback,
  error: StackfleetError,
): Promise<void> {
  refusalMetric(log, error.code, callback.requestType, integration !== undefined);
  if (!integration) return;
  const now = deps.now();
  const window = windowOf(now);
  const { data } = await deps.service.entities.callbackRefusal
    .upsert({ integrationId: integration.integrationId, window })
    .set({
      lastSeen: now.toISOString(),
      lastReason: error.code,
      lastRequestType: callback.requestType,
      expiresAt: Math.floor(now.getTime() / 1000) + KEEP_SECONDS,
    })
    .ifNotExists({ firstSeen: now.toISOString() })
    .add({ count: 1 })
    .go({ response: "all_new" });
  if (data.count !== 1) return;
  await append(deps, {
    actor: "customer-stack",
    action: "registration.refused",
    reason: error.code,
    integrationId: integration.integrationId,
    tenantId: integration.tenantId,
    data: {
      message: error.message,
      requestType: callback.requestType,
      accountId: callback.accountId,
      region: callback.region,
      integrationRoleArn: callback.integrationRoleArn,
      window,
    },
  });
}

/** The counters of an integration, newest window first (what a tenant or operator inspects). */
export async function refusalsOf(deps: Deps, integrationId: string, limit = 24) {
  const { data } = await deps.service.entities.callbackRefusal.query
    .byIntegration({ integrationId })
    .go({ order: "desc", limit });
  return data;
}
