import { randomInt, randomUUID } from "node:crypto";

const UPPER_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

export function randomString(length: number, alphabet = UPPER_ALNUM): string {
  let out = "";
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

export const stackArn = (region: string, accountId: string, stackName: string) =>
  `arn:${partition(region)}:cloudformation:${region}:${accountId}:stack/${stackName}/${randomUUID()}`;

export const changeSetArn = (region: string, accountId: string, name: string) =>
  `arn:${partition(region)}:cloudformation:${region}:${accountId}:changeSet/${name}/${randomUUID()}`;

export const isStackArn = (value: string) => /^arn:[\w-]+:cloudformation:[\w-]+:\d{12}:stack\//.test(value);
export const isChangeSetArn = (value: string) => /^arn:[\w-]+:cloudformation:[\w-]+:\d{12}:changeSet\//.test(value);

export function partition(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

export const urlSuffix = (region: string) => (region.startsWith("cn-") ? "amazonaws.com.cn" : "amazonaws.com");

/**
 * CloudFormation's generated physical names: `<stack>-<logicalId>-<RANDOM>`, the readable part
 * truncated so the whole name fits the resource type's limit (64 for IAM roles).
 */
export function physicalName(stackName: string, logicalId: string, maxLength = 64, lowercase = false): string {
  const suffix = randomString(12);
  const readable = `${stackName}-${logicalId}`.slice(0, Math.max(1, maxLength - suffix.length - 1));
  const name = `${readable}-${suffix}`;
  return lowercase ? name.toLowerCase() : name;
}

/** What CloudFormation records as the token of an operation started without `ClientRequestToken`. */
export const generatedToken = (operation: string) => `Console-${operation}-${randomUUID()}`;

export { randomUUID };
