import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { decodeState, encodeState } from "./codec";

export const STATE_FILE_NAME = "sandbox-state.json";
const FORMAT = 1;

/** What a sandbox persists: each part is owned (exported and re-imported) by its service. */
export interface SandboxSnapshot {
  format: typeof FORMAT;
  /** The sandbox's own manual clock, so a restart does not move time back. */
  clock?: Date;
  /** How far a real clock had been jumped ahead (`clock advance`), for the same reason. */
  clockAheadMs?: number;
  cloudformation: unknown;
  iam: unknown;
  scheduler: unknown;
}

const snapshotSchema = z.object({
  format: z.literal(FORMAT),
  clock: z.date().optional(),
  clockAheadMs: z.number().nonnegative().optional(),
  cloudformation: z.array(z.unknown()),
  iam: z.object({ roles: z.array(z.unknown()), policies: z.array(z.unknown()) }),
  scheduler: z.object({ schedules: z.array(z.unknown()), groups: z.array(z.unknown()) }),
});

/**
 * The sandbox's state file in its data dir. Writes are coalesced (`markDirty` → one write at most
 * every `debounceMs`), skipped when nothing changed, and atomic: a temp file is written, synced and
 * renamed over the old one, so a crash leaves the previous state or the new one, never half of one.
 */
export class StateFile {
  readonly path: string;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private lastWritten: string | undefined;

  constructor(
    readonly dir: string,
    private readonly snapshot: () => SandboxSnapshot,
    private readonly debounceMs = 200,
  ) {
    this.path = join(dir, STATE_FILE_NAME);
  }

  /** The saved state, undefined when there is none yet; a corrupt file is an error, never silently dropped. */
  async load(): Promise<SandboxSnapshot | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
    const parsed = snapshotSchema.safeParse(decodeState(text));
    if (!parsed.success) {
      throw new Error(`${this.path} is not a sandbox state file (format ${FORMAT}): ${parsed.error.message}`);
    }
    this.lastWritten = text;
    return parsed.data as SandboxSnapshot;
  }

  markDirty(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush().catch((error: unknown) => console.error("[sandbox] saving state failed", error));
    }, this.debounceMs);
    this.timer.unref();
  }

  /** Writes now (after any write in progress) if the state changed since the last write. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const run = this.writing.then(() => this.write());
    this.writing = run.catch(() => undefined);
    return run;
  }

  private async write(): Promise<void> {
    const text = encodeState(this.snapshot());
    if (text === this.lastWritten) return;
    await mkdir(this.dir, { recursive: true });
    const temp = `${this.path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
    const handle = await open(temp, "w");
    try {
      await handle.writeFile(text, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await rename(temp, this.path);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    this.lastWritten = text;
  }
}
