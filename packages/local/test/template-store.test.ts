import { createHash } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LocalTemplateStore } from "../src/dev/template-store";

const bytes = new TextEncoder().encode("Resources:\n  B:\n    Type: AWS::S3::Bucket\n");
const sha256 = createHash("sha256").update(bytes).digest("hex");

describe("LocalTemplateStore", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "stackfleet-templates-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("stores the exact bytes under their sha256 and returns them", async () => {
    const store = new LocalTemplateStore(join(dir, "templates"));
    const stored = await store.put(bytes);
    expect(stored.sha256).toBe(sha256);
    expect(stored.location).toBe(`file://${join(dir, "templates", sha256)}`);
    expect(await store.get(sha256)).toEqual(bytes);
  });

  it("is idempotent and leaves no temporary files behind", async () => {
    const store = new LocalTemplateStore(dir);
    await store.put(bytes);
    await store.put(bytes);
    expect(await readdir(dir)).toEqual([sha256]);
  });

  it("reports a missing template as not found and refuses addresses that are not a sha256", async () => {
    const store = new LocalTemplateStore(dir);
    await expect(store.get("0".repeat(64))).rejects.toMatchObject({ kind: "not_found", code: "template_not_found" });
    await expect(store.get("../../etc/passwd")).rejects.toMatchObject({ code: "sha256_invalid" });
  });
});
