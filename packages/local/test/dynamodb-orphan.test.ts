import { execFile } from "node:child_process";
import { createConnection } from "node:net";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const fixture = fileURLToPath(new URL("./fixtures/crash-with-dynamodb.ts", import.meta.url));

/** Whether something still accepts connections on the loopback port. */
const listening = (port: number) =>
  new Promise<boolean>((done) => {
    const socket = createConnection({ port, host: "127.0.0.1" });
    socket.once("connect", () => {
      socket.destroy();
      done(true);
    });
    socket.once("error", () => done(false));
  });

describe("DynamoDB Local's JVM", () => {
  it("does not outlive a process that crashed without stopping it", async () => {
    const failed = await run(process.execPath, ["--import", "tsx", fixture]).catch((e: { stdout: string }) => e);
    const { port } = JSON.parse(String(failed.stdout).trim().split("\n").at(-1)!) as { port: number };
    // The 'exit' hook SIGKILLs it; the kernel closes its socket a moment later.
    let open = true;
    for (let i = 0; i < 50 && open; i++) {
      open = await listening(port);
      if (open) await new Promise((done) => setTimeout(done, 100));
    }
    expect(open).toBe(false);
  }, 60_000);
});
