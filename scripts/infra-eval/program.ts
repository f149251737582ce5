import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { type MockContext, mockCall, mockResource } from "./mocks";

/**
 * Runs inside the bundle `scripts/infra-eval.ts` builds: SST's own `run()` (src/auto/run.ts) over
 * our `sst.config.ts`, under Pulumi's runtime mocks, with the CLI's side replaced by a local RPC
 * server (SST components ask the CLI to build functions and to look up the bootstrap bucket).
 * Writes every registered resource and the stage outputs as JSON.
 */

export interface EvalRequest {
  root: string;
  platform: string;
  stage: string;
  /** `sst dev` (true) or `sst deploy` (false): SST's `$dev`. */
  dev: boolean;
  account: string;
  region: string;
  out: string;
}

interface SstConfig {
  app(input: { stage: string }): { name: string; removal?: string; protect?: boolean; providers?: unknown };
  run(): Promise<Record<string, unknown> | undefined>;
}

export interface RegisteredResource {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

type Rpc = (method: string, args: Record<string, unknown>) => unknown;

function rpcServer(handle: Rpc): Promise<Server> {
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", () => {
      const { method, params } = JSON.parse(body) as { method: string; params: [Record<string, unknown>] };
      try {
        res.end(JSON.stringify({ result: handle(method, params[0]) }));
      } catch (error) {
        res.end(JSON.stringify({ error: (error as Error).message }));
      }
    });
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

/** The CLI's answers: a built bundle is an empty handler file; `AddTarget` means "runs live". */
function cliRpc(liveFunctions: string[]): Rpc {
  const builds = mkdtempSync(path.join(tmpdir(), "stackfleet-eval-"));
  return (method, args) => {
    switch (method) {
      case "Provider.Aws.Bootstrap":
        return { asset: "sst-asset-mock", assetEcrRegistryId: "0", assetEcrUrl: "mock", state: "sst-state-mock" };
      case "Provider.Aws.Appsync":
        return { http: "https://appsync.mock", realtime: "wss://appsync.mock" };
      case "Runtime.AddTarget":
        liveFunctions.push(String(args.functionID));
        return {};
      case "Runtime.Build": {
        const handler = String(args.handler);
        const out = path.join(builds, String(args.functionID));
        const file = path.join(out, `${handler.slice(0, handler.lastIndexOf("."))}.mjs`);
        mkdirSync(path.dirname(file), { recursive: true });
        writeFileSync(file, "export const handler = async () => {};\n");
        return { handler, out, errors: [], sourcemaps: [] };
      }
      default:
        throw new Error(`rpc: can't find ${method}`);
    }
  };
}

/** SST's globals, set before its components load (some read `$app` at import). */
export function prepareGlobals(request: EvalRequest, config: SstConfig): void {
  const app = config.app({ stage: request.stage });
  Object.assign(globalThis, {
    $app: {
      name: app.name,
      stage: request.stage,
      removal: app.removal ?? "retain",
      protect: app.protect ?? false,
      providers: app.providers ?? {},
    },
    $dev: request.dev,
    $cli: {
      command: request.dev ? "dev" : "deploy",
      paths: { root: request.root, work: path.join(request.root, ".sst"), platform: request.platform },
      home: "aws",
      state: { version: {} },
    },
  });
}

export async function evaluate(
  request: EvalRequest,
  config: SstConfig,
  run: (program: () => Promise<unknown>) => Promise<Record<string, unknown>>,
): Promise<void> {
  const resources: RegisteredResource[] = [];
  const liveFunctions: string[] = [];
  const server = await rpcServer(cliRpc(liveFunctions));
  process.env.SST_SERVER = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  process.env.SST_AWS_REGION = request.region;

  const ctx: MockContext = { account: request.account, region: request.region };
  await $util.runtime.setMocks(
    {
      newResource: (args) => {
        resources.push({ type: args.type, name: args.name, inputs: args.inputs });
        return mockResource(args.type, args.name, args.inputs, ctx);
      },
      call: (args) => mockCall(args.token, args.inputs, ctx),
    },
    $app.name,
    request.stage,
    false,
  );

  try {
    const outputs = await $util.runtime.runInPulumiStack(() => run(() => config.run().then((o) => o ?? {})));
    // Resources registered inside applies (SST builds functions in one) finish after the stack's
    // outputs resolve; Pulumi's own shutdown waits for them the same way.
    await ($util.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
    writeFileSync(request.out, JSON.stringify({ resources, outputs, liveFunctions }));
  } finally {
    server.close();
  }
}
