/**
 * The `cfn-response` module AWS provides to inline (`Code.ZipFile`) Node.js functions, rewritten
 * on `fetch` so it can answer the sandbox's plain-HTTP response URL.
 */
export const CFN_RESPONSE_MODULE = `"use strict";
exports.SUCCESS = "SUCCESS";
exports.FAILED = "FAILED";
exports.send = function (event, context, responseStatus, responseData, physicalResourceId, noEcho) {
  const body = JSON.stringify({
    Status: responseStatus,
    Reason: "See the details in CloudWatch Log Stream: " + context.logStreamName,
    PhysicalResourceId: physicalResourceId || context.logStreamName,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
    NoEcho: noEcho || false,
    Data: responseData,
  });
  return fetch(event.ResponseURL, { method: "PUT", headers: { "content-type": "" }, body })
    .then(() => context.done())
    .catch((error) => { console.log("send(..) failed executing fetch: " + error); context.done(); });
};
`;

/** Loads the handler in a child process, invokes it once with the event, and exits. */
export const RUNNER_SCRIPT = `
const { createRequire } = require("node:module");
const { pathToFileURL } = require("node:url");
const [file, handlerName, eventJson, functionName] = process.argv.slice(1);
const event = JSON.parse(eventJson);
let finished = false;
const finish = (error) => {
  if (finished) return;
  finished = true;
  if (error) { console.error("handler failed:", error && error.stack || error); process.exitCode = 1; }
};
const deadline = Date.now() + Number(process.env.SANDBOX_TIMEOUT_MS || 30000);
const context = {
  awsRequestId: event.RequestId,
  functionName,
  logStreamName: "sandbox/" + functionName,
  getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  done: (error) => finish(error),
  succeed: () => finish(),
  fail: (error) => finish(error || new Error("failed")),
};
(async () => {
  const mod = file.endsWith(".mjs") ? await import(pathToFileURL(file).href) : createRequire(file)(file);
  const handler = mod[handlerName];
  if (typeof handler !== "function") throw new Error("handler " + handlerName + " is not exported by " + file);
  await new Promise((resolve, reject) => {
    const result = handler(event, context, (error) => (error ? reject(error) : resolve()));
    if (result && typeof result.then === "function") result.then(resolve, reject);
  });
})().then(() => finish(), finish);
`;
