import { AssumeRole$, GetCallerIdentity$ } from "@aws-sdk/client-sts";
import type { StaticOperationSchema } from "@smithy/types";
import { SandboxError } from "../contract";
import { type AssumeRoleInput, type AssumeRoleService, callerIdentity } from "../sts/assume-role";
import { decodeQueryInput, encodeQueryError, encodeQueryOutput } from "./query-codec";
import type { HttpReply, ServiceCall, ServiceEndpoint } from "./types";

const XMLNS = "https://sts.amazonaws.com/doc/2011-06-15/";
const VERSION = "2011-06-15";

/** STS over the query protocol: AssumeRole and GetCallerIdentity. */
export class StsEndpoint implements ServiceEndpoint {
  constructor(private readonly assumeRoles: AssumeRoleService) {}

  async handle(call: ServiceCall): Promise<HttpReply> {
    const params = new Map(new URLSearchParams(call.body));
    const action = params.get("Action");
    if (params.get("Version") !== VERSION) {
      throw new SandboxError("InvalidParameterValue", `STS API version ${params.get("Version")} is not ${VERSION}.`);
    }
    let operation: StaticOperationSchema;
    let output: Record<string, unknown>;
    if (action === "AssumeRole") {
      operation = AssumeRole$;
      const input = decodeQueryInput(operation, params) as AssumeRoleInput;
      output = { ...(await this.assumeRoles.assumeRole(call.principal, input, call.region)) };
    } else if (action === "GetCallerIdentity") {
      operation = GetCallerIdentity$;
      output = callerIdentity(call.principal);
    } else {
      throw new SandboxError(
        "InvalidAction",
        `Could not find operation ${action} for version ${VERSION} (the sandbox's STS has AssumeRole and GetCallerIdentity).`,
      );
    }
    return xmlReply(200, encodeQueryOutput(operation, output, XMLNS, call.requestId), call.requestId);
  }

  errorReply(error: SandboxError, requestId: string): HttpReply {
    return xmlReply(error.status, encodeQueryError(error, XMLNS, requestId), requestId);
  }
}

export function xmlReply(status: number, body: string, requestId: string): HttpReply {
  return { status, headers: { "content-type": "text/xml", "x-amzn-requestid": requestId }, body };
}
