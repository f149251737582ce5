import type { StackfleetConfig } from "../config";
import { quickCreateUrl } from "../template/customer/quick-create";
import type { VersionRecord } from "../version/version";
import type { IntegrationRecord } from "./integration";

export interface InstallLinks {
  version: string;
  templateUrl: string;
  /** Opens the CloudFormation console with the stack name and this integration's ExternalId filled in. */
  quickCreateUrl: string;
}

/** Templates are stored content-addressed, so a version's URL never changes under a customer. */
export const templateUrlFor = (config: Pick<StackfleetConfig, "templateBaseUrl">, sha256: string) =>
  `${config.templateBaseUrl.replace(/\/+$/, "")}/${sha256}`;

/** How to install the latest published version; none while nothing is published. */
export function installLinks(
  config: StackfleetConfig,
  integration: IntegrationRecord,
  latest: Pick<VersionRecord, "version" | "templateSha256"> | undefined,
): InstallLinks | null {
  if (!latest || integration.status === "removed") return null;
  const templateUrl = templateUrlFor(config, latest.templateSha256);
  return {
    version: latest.version,
    templateUrl,
    quickCreateUrl: quickCreateUrl({
      region: integration.region,
      templateUrl,
      stackName: integration.stackName,
      parameters: { ExternalId: integration.externalId, EnableAutoUpdate: "true" },
    }),
  };
}
