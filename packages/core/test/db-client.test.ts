import { describe, expect, it } from "vitest";
import { createDocumentClient } from "../src/db/client";

describe("createDocumentClient", () => {
  it("leaves out the SDK's logger middleware unless a logger is given (it masks every response for nothing)", () => {
    const stack = (client: ReturnType<typeof createDocumentClient>) => client.middlewareStack.identify().join("\n");
    expect(stack(createDocumentClient({ region: "local" }))).not.toMatch(/loggerMiddleware/);
    const logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
    expect(stack(createDocumentClient({ region: "local", logger }))).toMatch(/loggerMiddleware/);
  });
});
