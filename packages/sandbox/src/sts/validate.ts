import { SandboxError } from "../contract";

/**
 * STS input validation with AWS's own messages ("1 validation error detected: Value … at '…'
 * failed to satisfy constraint: …"), so callers see what they would see against AWS.
 */
export function checkString(
  field: string,
  value: string | undefined,
  rule: { min: number; max: number; pattern?: RegExp; patternText?: string; required?: boolean },
): void {
  if (value === undefined) {
    if (rule.required) fail(field, "null", "Member must not be null");
    return;
  }
  if (value.length < rule.min) {
    fail(field, value, `Member must have length greater than or equal to ${rule.min}`);
  }
  if (value.length > rule.max) {
    fail(field, value, `Member must have length less than or equal to ${rule.max}`);
  }
  if (rule.pattern && !rule.pattern.test(value)) {
    fail(field, value, `Member must satisfy regular expression pattern: ${rule.patternText ?? rule.pattern.source}`);
  }
}

export function checkRange(field: string, value: number | undefined, min: number, max: number): void {
  if (value === undefined) return;
  if (!Number.isInteger(value)) fail(field, String(value), "Member must be an integer");
  if (value < min) fail(field, String(value), `Member must have value greater than or equal to ${min}`);
  if (value > max) fail(field, String(value), `Member must have value less than or equal to ${max}`);
}

function fail(field: string, value: string, constraint: string): never {
  throw new SandboxError(
    "ValidationError",
    `1 validation error detected: Value '${value}' at '${field}' failed to satisfy constraint: ${constraint}`,
  );
}

export const SESSION_NAME = { min: 2, max: 64, pattern: /^[\w+=,.@-]*$/, patternText: "[\\w+=,.@-]*" };
export const EXTERNAL_ID = { min: 2, max: 1224, pattern: /^[\w+=,.@:/-]*$/, patternText: "[\\w+=,.@:\\/-]*" };
