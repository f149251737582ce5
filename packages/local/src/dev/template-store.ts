import { randomUUID } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { notFound } from "@stackfleet/core/error";
import { assertSha256, sha256Hex, type TemplateStore } from "@stackfleet/core/template-store/template-store";

/** Local stand-in for the template bucket: one file per SHA-256 in a folder. */
export class LocalTemplateStore implements TemplateStore {
  private readonly dir: string;

  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  async put(bytes: Uint8Array): Promise<{ sha256: string; location: string }> {
    const sha256 = sha256Hex(bytes);
    const path = join(this.dir, sha256);
    await mkdir(this.dir, { recursive: true });
    // Write aside and rename: a reader never sees a half-written template under its final name.
    const temp = join(this.dir, `.${sha256}.${randomUUID()}.tmp`);
    await writeFile(temp, bytes, { flag: "wx" });
    await rename(temp, path);
    return { sha256, location: pathToFileURL(path).href };
  }

  async get(sha256: string): Promise<Uint8Array> {
    assertSha256(sha256);
    try {
      return new Uint8Array(await readFile(join(this.dir, sha256)));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT")
        throw notFound("template_not_found", `No template stored under ${sha256}`);
      throw e;
    }
  }
}
