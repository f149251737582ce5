/**
 * The registration function's source, inlined into the template as `Code.ZipFile` (CloudFormation
 * writes it to `index.js`; CommonJS, no dependencies, Node's global `fetch`). Inline code is
 * capped at 4,096 bytes, so it stays terse; a test holds it to that.
 *
 * Policy (the customer must never see a stack that hangs, nor an update that cannot roll back):
 * - Delete always answers SUCCESS: the stack must be able to go away, API or not.
 * - Create answers FAILED on any failure (refusal, unreachable API, internal error), with the
 *   reason, so the customer sees why the connection did not happen and can simply retry.
 * - Update answers FAILED only when the API explicitly refuses (4xx other than 408/429): an API
 *   outage during an update, or during the rollback CloudFormation runs with the old properties,
 *   must not turn into UPDATE_ROLLBACK_FAILED.
 * Whatever happens, CloudFormation gets its answer in `finally`, before the Lambda deadline: each
 * callback attempt is bounded by the time `context.getRemainingTimeInMillis()` leaves. The
 * ResponseURL is a presigned S3 URL, so it is never logged.
 */
export const REGISTRATION_HANDLER_SOURCE = `"use strict";
const ATTEMPT_MS = 10000, RESERVE_MS = 6000, RESPOND_MS = 5000, BACKOFF_MS = [1000, 3000];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

exports.handler = async (event, context) => {
  const type = event && event.RequestType;
  let status = "SUCCESS", reason = "Registered";
  try {
    const p = event.ResourceProperties;
    const deadline = Date.now() + context.getRemainingTimeInMillis() - RESERVE_MS;
    const result = await post(p.CallbackUrl, {
      requestType: type,
      requestId: event.RequestId,
      externalId: p.ExternalId,
      integrationRoleArn: p.IntegrationRoleArn,
      updateRoleArn: p.UpdateRoleArn || null,
      serviceRoleArn: p.ServiceRoleArn,
      accountId: p.AccountId,
      region: p.Region,
      stackId: event.StackId,
      stackName: p.StackName,
      templateVersion: p.TemplateVersion,
      enableAutoUpdate: p.EnableAutoUpdate === "true",
    }, deadline, p.Vendor || "The vendor");
    if (!result.ok) {
      reason = result.message;
      if (type === "Create" || (type === "Update" && result.refused)) status = "FAILED";
    }
  } catch (e) {
    reason = "Registration failed: " + ((e && e.message) || String(e));
    if (type === "Create") status = "FAILED";
  } finally {
    console.log(JSON.stringify({ requestType: type, status, reason }));
    await respond(event, status, reason);
  }
};

async function post(url, body, deadline, vendor) {
  let last = vendor + " was not reached";
  for (let attempt = 0; ; attempt++) {
    const left = deadline - Date.now();
    if (left <= 0) return { ok: false, message: last + " (out of time)" };
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(Math.min(ATTEMPT_MS, left)),
      });
      const text = await res.text();
      if (res.ok) return { ok: true };
      const detail = " (HTTP " + res.status + "): " + explain(text);
      if (res.status < 500 && res.status !== 408 && res.status !== 429) {
        return { ok: false, refused: true, message: vendor + " refused the registration" + detail };
      }
      last = vendor + " could not register this stack" + detail;
    } catch (e) {
      const why = e && e.name === "TimeoutError" ? "timed out" : (e && e.cause && e.cause.code) || (e && e.message) || String(e);
      last = vendor + " could not be reached: " + why;
    }
    const wait = BACKOFF_MS[attempt];
    if (wait === undefined || Date.now() + wait >= deadline) return { ok: false, message: last };
    await sleep(wait);
  }
}

function explain(text) {
  try {
    const e = JSON.parse(text).error;
    if (e && e.message) return e.code ? e.message + " (" + e.code + ")" : e.message;
  } catch {}
  return text.slice(0, 300) || "no details";
}

async function respond(event, status, reason) {
  const res = await fetch(event.ResponseURL, {
    method: "PUT",
    // The presigned URL signs no content type: sending one would break the signature.
    headers: { "content-type": "" },
    body: JSON.stringify({
      Status: status,
      Reason: reason.slice(0, 1000),
      PhysicalResourceId: event.PhysicalResourceId || "stackfleet-registration:" + event.StackId,
      StackId: event.StackId,
      RequestId: event.RequestId,
      LogicalResourceId: event.LogicalResourceId,
    }),
    signal: AbortSignal.timeout(RESPOND_MS),
  });
  // Throwing makes Lambda retry the whole invocation; a repeated callback is harmless.
  if (!res.ok) throw new Error("CloudFormation response rejected: HTTP " + res.status);
}
`;
