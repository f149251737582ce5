import type { Principal, SandboxError } from "../contract";

/** One authenticated AWS API call, as a service endpoint receives it. */
export interface ServiceCall {
  principal: Principal;
  region: string;
  requestId: string;
  method: string;
  /** Decoded path, without the query string. */
  path: string;
  query: URLSearchParams;
  body: string;
}

export interface HttpReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A service speaking one AWS wire protocol (query for STS and CloudFormation, REST-JSON for Scheduler). */
export interface ServiceEndpoint {
  handle(call: ServiceCall): Promise<HttpReply>;
  errorReply(error: SandboxError, requestId: string): HttpReply;
}
