import { existsSync, mkdirSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { serve } from "@hono/node-server";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApi, type TestApi } from "./support/api";

/**
 * The /docs page in a real headless browser: every route of the OpenAPI document is on it and the
 * page logs no console errors (e.g. a CSP violation). Needs Debian's Chromium (`.ci/run` installs
 * it); without it the test is skipped, saying so.
 */
const CHROMIUM = "/usr/bin/chromium";
const available = existsSync(CHROMIUM);
if (!available) console.warn(`docs-browser.test.ts skipped: ${CHROMIUM} is absent (apt-get install -y chromium)`);

let api: TestApi;
let server: ReturnType<typeof serve>;
let base: string;

beforeAll(async () => {
  if (!available) return;
  api = await createTestApi();
  server = serve({ fetch: api.app.fetch, port: 0, hostname: "127.0.0.1" });
  await new Promise((resolve) => server.once("listening", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => server?.close());

describe.skipIf(!available)("/docs in headless Chromium", () => {
  it("renders every route with no console errors", { timeout: 60_000 }, async () => {
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
      ],
    });
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
      page.on("pageerror", (e) => problems.push(e.message));
      const res = await page.goto(`${base}/docs`);
      expect(res?.status()).toBe(200);
      const doc = (await (await fetch(`${base}/openapi.json`)).json()) as { paths: Record<string, object> };
      const shown = await page.$$eval("article h3", (hs) => hs.map((h) => h.textContent ?? ""));
      for (const [path, item] of Object.entries(doc.paths))
        for (const method of Object.keys(item))
          expect(
            shown.some((t) => t.startsWith(`${method.toUpperCase()} ${path}`)),
            `${method} ${path}`,
          ).toBe(true);
      const sections = await page.$$eval("main > section h2", (hs) => hs.map((h) => h.textContent));
      expect(sections.slice(0, 3)).toEqual(["integrations", "events", "versions"]);
      const dir = join(import.meta.dirname, "../../../.stackfleet");
      mkdirSync(dir, { recursive: true });
      await page.screenshot({ path: join(dir, "docs.png"), fullPage: false });
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
