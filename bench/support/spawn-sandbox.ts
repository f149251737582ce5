import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export interface ChildSandbox {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  pid: number;
  stop(): Promise<void>;
}

/** Starts bench/support/sandbox-child.ts under the same loader (tsx) this process runs with. */
export async function spawnSandbox(account: string, region: string, startTime: Date): Promise<ChildSandbox> {
  const script = fileURLToPath(new URL("./sandbox-child.ts", import.meta.url));
  const child = spawn(process.execPath, [...process.execArgv, script, account, region, startTime.toISOString()], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const line = await new Promise<string>((resolve, reject) => {
    let buffered = "";
    child.stdout.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      const end = buffered.indexOf("\n");
      if (end >= 0) resolve(buffered.slice(0, end));
    });
    child.once("exit", (code) => reject(new Error(`sandbox exited with ${code} before it started`)));
  });
  const config = JSON.parse(line) as Omit<ChildSandbox, "stop">;
  return {
    ...config,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        child.stdin.end();
      }),
  };
}
