import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CustomResourceHook, CustomResourceRequest, CustomResourceResponse } from "../cloudformation/index";
import { CFN_RESPONSE_MODULE, RUNNER_SCRIPT } from "./cfn-response";

/** What the function PUTs to its ResponseURL. */
export interface CloudFormationAnswer {
  Status?: string;
  Reason?: string;
  PhysicalResourceId?: string;
  Data?: Record<string, unknown>;
}

/**
 * The default custom-resource hook: runs the stack's own inline Node.js Lambda (`Code.ZipFile`)
 * in a child process with the event CloudFormation would send, and waits for the answer it PUTs
 * to the response URL (a `/_sandbox/custom-resource/<token>` route of the running sandbox).
 */
export class InlineLambdaRunner {
  private readonly waiting = new Map<string, (answer: CloudFormationAnswer) => void>();

  constructor(private readonly endpoint: () => string) {}

  readonly hook: CustomResourceHook = (request) => this.run(request);

  /** Called by the control route when the function answers; false if nobody waits for it. */
  receive(token: string, answer: CloudFormationAnswer): boolean {
    const resolve = this.waiting.get(token);
    if (!resolve) return false;
    this.waiting.delete(token);
    resolve(answer);
    return true;
  }

  private async run(request: CustomResourceRequest): Promise<CustomResourceResponse> {
    const fn = request.serviceTokenResource;
    const props = (fn?.properties ?? {}) as {
      Code?: { ZipFile?: unknown };
      Handler?: string;
      Runtime?: string;
      Timeout?: number | string;
      Environment?: { Variables?: Record<string, unknown> };
    };
    const code = props.Code?.ZipFile;
    if (
      fn?.resourceType !== "AWS::Lambda::Function" ||
      typeof code !== "string" ||
      !props.Runtime?.startsWith("nodejs")
    ) {
      return {
        status: "FAILED",
        reason: `The sandbox runs only inline Node.js Lambda code (Code.ZipFile); ${request.serviceToken} is not one. Pass onCustomResource to startSandbox to answer it.`,
      };
    }
    const [moduleName = "index", handlerName = "handler"] = (props.Handler ?? "index.handler").split(".");
    const token = randomUUID();
    const answer = new Promise<CloudFormationAnswer>((resolve) => this.waiting.set(token, resolve));
    const dir = await mkdtemp(join(tmpdir(), "stackfleet-sandbox-lambda-"));
    try {
      const esm = /^\s*export\s+(const|let|async|function|default|\{)/m.test(code);
      const file = join(dir, `${moduleName}${esm ? ".mjs" : ".js"}`);
      await writeFile(file, code);
      await mkdir(join(dir, "node_modules", "cfn-response"), { recursive: true });
      await writeFile(join(dir, "node_modules", "cfn-response", "index.js"), CFN_RESPONSE_MODULE);
      const event = {
        RequestType: request.requestType,
        ServiceToken: request.serviceToken,
        ResponseURL: `${this.endpoint()}/_sandbox/custom-resource/${token}`,
        StackId: request.stackId,
        RequestId: request.requestId,
        LogicalResourceId: request.logicalResourceId,
        ResourceType: request.resourceType,
        ResourceProperties: request.resourceProperties,
        ...(request.physicalResourceId ? { PhysicalResourceId: request.physicalResourceId } : {}),
        ...(request.oldResourceProperties ? { OldResourceProperties: request.oldResourceProperties } : {}),
      };
      const timeoutMs = Math.max(Number(props.Timeout ?? 3), 30) * 1000;
      const env: Record<string, string> = {
        PATH: process.env.PATH ?? "",
        AWS_REGION: request.region,
        AWS_DEFAULT_REGION: request.region,
        AWS_LAMBDA_FUNCTION_NAME: fn.physicalResourceId,
        SANDBOX_TIMEOUT_MS: String(timeoutMs),
      };
      for (const [key, value] of Object.entries(props.Environment?.Variables ?? {})) env[key] = String(value);
      const exited = new Promise<{ error?: Error; stderr: string }>((resolve) => {
        execFile(
          process.execPath,
          ["-e", RUNNER_SCRIPT, file, handlerName, JSON.stringify(event), fn.physicalResourceId],
          { cwd: dir, env, timeout: timeoutMs },
          (error, _stdout, stderr) => resolve({ error: error ?? undefined, stderr }),
        );
      });
      // The answer may arrive before or after the process exits; a process that exits without
      // answering would leave AWS waiting an hour, the sandbox fails the resource at once.
      const first = await Promise.race([answer.then((a) => ({ a })), exited.then((e) => ({ e }))]);
      const result = "a" in first ? first.a : await Promise.race([answer, delay(1000).then(() => undefined)]);
      if (!result) {
        const exit = "e" in first ? first.e : await exited;
        return {
          status: "FAILED",
          reason: `Inline function ${fn.logicalResourceId} did not answer CloudFormation${exit.error ? `: ${exit.stderr.trim() || exit.error.message}` : ""}`,
        };
      }
      return {
        status: result.Status === "SUCCESS" ? "SUCCESS" : "FAILED",
        reason: result.Reason,
        physicalResourceId: result.PhysicalResourceId,
        data: result.Data,
      };
    } finally {
      this.waiting.delete(token);
      await rm(dir, { recursive: true, force: true });
    }
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
