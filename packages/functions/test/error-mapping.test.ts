import { ThrottlingException } from "@aws-sdk/client-dynamodb";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { onError } from "../src/api/error";

// The one place errors become statuses: a store that throttled or timed out past the SDK's own
// retries is a 503 the caller may retry (the stack's registration function does), not a 500.
const logged: string[] = [];
const appThrowing = (error: unknown) => {
  const app = new Hono();
  app.get("/x", () => {
    throw error;
  });
  app.onError(onError({ error: (message) => void logged.push(message) }));
  return app;
};
const throttled = () =>
  new ThrottlingException({ message: "Rate of requests exceeds the allowed throughput.", $metadata: {} });

describe("error mapping", () => {
  it.each([
    ["the SDK's throttling error", throttled()],
    [
      "ElectroDB's wrapper around it",
      Object.assign(new Error("Error thrown by DynamoDB client"), { cause: throttled() }),
    ],
    ["a timeout", Object.assign(new Error("Connection timed out after 3000 ms"), { name: "TimeoutError" })],
    [
      "a 500 from the service",
      Object.assign(new Error("Internal server error"), { $metadata: { httpStatusCode: 500 } }),
    ],
  ])("%s is a 503 store_busy with Retry-After", async (_, error) => {
    const res = await appThrowing(error).request("/x");
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("1");
    expect(await res.json()).toEqual({ error: { code: "store_busy", message: expect.any(String) } });
  });

  it("anything else stays a logged 500 internal_error", async () => {
    logged.length = 0;
    const res = await appThrowing(new TypeError("x is undefined")).request("/x");
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: { code: "internal_error", message: "Internal error" } });
    expect(logged).toEqual(["unhandled error"]);
  });
});
