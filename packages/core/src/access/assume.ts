import type { Credentials, STSClient } from "@aws-sdk/client-sts";
import { forbidden, StackfleetError } from "../error";

export interface AssumeRequest {
  roleArn: string;
  /** Always the integration's, read from the table; undefined only for the negative trust test. */
  externalId: string | undefined;
  sessionName: string;
  sourceIdentity?: string;
}

const isAccessDenied = (e: unknown) =>
  ["AccessDenied", "AccessDeniedException"].includes((e as { name?: string }).name ?? "");

/**
 * STS AssumeRole with the shortest session STS allows, classified: the role's trust said no →
 * `forbidden` `assume_denied`; STS itself failed (throttling, network) → `unavailable` `sts_failed`.
 */
/** Temporary credentials in the shape SDK clients take. */
export interface SessionCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

export async function assumeRole(sts: STSClient, request: AssumeRequest): Promise<SessionCredentials> {
  let credentials: Credentials | undefined;
  // The command class loads with the package, on first use (see aws/lazy-client.ts).
  const { AssumeRoleCommand } = await import("@aws-sdk/client-sts");
  try {
    ({ Credentials: credentials } = await sts.send(
      new AssumeRoleCommand({
        RoleArn: request.roleArn,
        RoleSessionName: request.sessionName,
        ExternalId: request.externalId,
        SourceIdentity: request.sourceIdentity,
        DurationSeconds: 900,
      }),
    ));
  } catch (e) {
    if (isAccessDenied(e))
      throw forbidden("assume_denied", `AssumeRole into ${request.roleArn} was denied: ${(e as Error).message}`);
    throw new StackfleetError(
      "unavailable",
      "sts_failed",
      `AssumeRole failed: ${(e as Error).name}: ${(e as Error).message}`,
    );
  }
  if (!credentials?.AccessKeyId || !credentials.SecretAccessKey)
    throw new StackfleetError("unavailable", "sts_failed", "AssumeRole returned no credentials");
  return {
    accessKeyId: credentials.AccessKeyId,
    secretAccessKey: credentials.SecretAccessKey,
    sessionToken: credentials.SessionToken,
    expiration: credentials.Expiration,
  };
}
