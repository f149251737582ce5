import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type SandboxClock, SandboxError } from "../contract";
import type { AccountRegistry } from "../iam/accounts";
import type { SessionStore } from "../sts/sessions";
import { resolveCaller } from "./caller";
import type { TransportFaults } from "./faults";
import { parseAuthorization, verifySignature } from "./sigv4";
import type { HttpReply, ServiceEndpoint } from "./types";

export interface ServerDeps {
  accounts: AccountRegistry;
  sessions: SessionStore;
  clock: SandboxClock;
  faults: TransportFaults;
  /** Keyed by the SigV4 credential scope's service name. */
  services: Record<string, ServiceEndpoint>;
  /** The JSON control API under `/_sandbox/`; returns undefined for an unknown route. */
  control: (method: string, path: string, body: unknown) => Promise<unknown>;
  verifySignatures: boolean;
  /** Called after every AWS API call (the state may have changed). */
  afterCall?: () => void;
}

/**
 * One HTTP endpoint for every simulated service: the SigV4 credential scope says which service a
 * request is for, the access key says who sends it.
 */
export function createSandboxServer(deps: ServerDeps): Server {
  return createServer((req, res) => {
    handle(deps, req)
      .then((reply) => send(res, reply))
      .catch((error: unknown) => {
        console.error("[sandbox] unhandled", error);
        send(res, { status: 500, headers: { "content-type": "text/plain" }, body: "sandbox internal error" });
      });
  });
}

export async function listen(server: Server, port: number, host: string): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return `http://${host.includes(":") ? `[${host}]` : host}:${address.port}`;
}

async function handle(deps: ServerDeps, req: IncomingMessage): Promise<HttpReply> {
  const bytes = await readBody(req);
  const body = bytes.toString("utf8");
  const target = req.url ?? "/";
  const url = new URL(target, "http://sandbox.local");
  if (url.pathname.startsWith("/_sandbox/")) return controlReply(deps, req.method ?? "GET", url.pathname, body);

  const requestId = randomUUID();
  let service: ServiceEndpoint | undefined;
  try {
    const auth = parseAuthorization(header(req, "authorization"));
    service = deps.services[auth.service];
    if (!service) {
      throw new SandboxError("UnknownService", `The sandbox does not simulate ${auth.service}.`, 400);
    }
    const sessionToken = header(req, "x-amz-security-token");
    const caller = resolveCaller(auth.accessKeyId, sessionToken, deps.accounts, deps.sessions, deps.clock);
    if (deps.verifySignatures) {
      const queryAt = target.indexOf("?");
      verifySignature(
        {
          method: req.method ?? "GET",
          rawPath: queryAt < 0 ? target : target.slice(0, queryAt),
          rawQuery: queryAt < 0 ? "" : target.slice(queryAt + 1),
          rawHeaders: req.rawHeaders,
          body: bytes,
        },
        auth,
        caller.secretAccessKey,
      );
    }
    const delay = deps.faults.takeDelayMs(auth.service);
    if (delay) await new Promise((resolve) => setTimeout(resolve, delay));
    if (deps.faults.takeThrottle(auth.service)) throw new SandboxError("Throttling", "Rate exceeded", 400);
    return await service.handle({
      principal: caller.principal,
      region: auth.region,
      requestId,
      method: req.method ?? "GET",
      path: url.pathname,
      query: url.searchParams,
      body,
    });
  } catch (error) {
    const sandboxError =
      error instanceof SandboxError
        ? error
        : new SandboxError("InternalFailure", "The sandbox failed to process the request.", 500, false);
    if (!(error instanceof SandboxError)) console.error("[sandbox] internal failure", error);
    // Before the service is known the error is written in the query protocol, as STS would.
    return (service ?? deps.services.sts!).errorReply(sandboxError, requestId);
  } finally {
    deps.afterCall?.();
  }
}

async function controlReply(deps: ServerDeps, method: string, path: string, body: string): Promise<HttpReply> {
  const json = (status: number, value: unknown): HttpReply => ({
    status,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(value),
  });
  try {
    const result = await deps.control(method, path, body ? JSON.parse(body) : {});
    return result === undefined
      ? json(404, { error: { code: "not_found", message: `${method} ${path}` } })
      : json(200, result);
  } catch (error) {
    const status = error instanceof SandboxError ? error.status : error instanceof SyntaxError ? 400 : 500;
    const code = error instanceof SandboxError ? error.code : "invalid_request";
    return json(status, { error: { code, message: (error as Error).message } });
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, reply: HttpReply): void {
  res.writeHead(reply.status, { ...reply.headers, "content-length": Buffer.byteLength(reply.body) });
  res.end(reply.body);
}
