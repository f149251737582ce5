import { inputError } from "../../error";

export type QuickCreateInput = {
  region: string;
  /** The published template's https S3 URL. */
  templateUrl: string;
  stackName: string;
  /** Template parameters to prefill, e.g. `{ ExternalId }`; the customer can still edit them. */
  parameters?: Record<string, string>;
};

const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const PARAMETER_NAME = /^[A-Za-z0-9]{1,255}$/;
const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;

/**
 * The CloudFormation console's quick-create link, in its documented form
 * `https://<region>.console.aws.amazon.com/cloudformation/home?region=<region>#/stacks/create/review?templateURL=…&stackName=…&param_<Name>=…`.
 * Values are URL-encoded (the console requires it for presigned S3 URLs). The console ignores
 * NoEcho parameters, which is one reason `ExternalId` is not NoEcho. China and GovCloud consoles
 * live elsewhere and are not covered.
 */
export function quickCreateUrl(input: QuickCreateInput): string {
  if (!REGION.test(input.region) || input.region.startsWith("cn-") || input.region.startsWith("us-gov-")) {
    throw inputError("region_invalid", `"${input.region}" is not a commercial AWS Region`);
  }
  if (!URL.canParse(input.templateUrl) || new URL(input.templateUrl).protocol !== "https:")
    throw inputError("template_url_invalid", "The template URL must be https");
  if (!STACK_NAME.test(input.stackName))
    throw inputError("stack_name_invalid", `"${input.stackName}" is not a valid stack name`);
  // encodeURIComponent, not URLSearchParams: the console reads the fragment's `+` as a plus sign.
  const query = [
    `templateURL=${encodeURIComponent(input.templateUrl)}`,
    `stackName=${encodeURIComponent(input.stackName)}`,
  ];
  for (const [name, value] of Object.entries(input.parameters ?? {})) {
    if (!PARAMETER_NAME.test(name)) throw inputError("parameter_invalid", `"${name}" is not a template parameter name`);
    query.push(`param_${name}=${encodeURIComponent(value)}`);
  }
  const host = `${input.region}.console.aws.amazon.com`;
  return `https://${host}/cloudformation/home?region=${input.region}#/stacks/create/review?${query.join("&")}`;
}
