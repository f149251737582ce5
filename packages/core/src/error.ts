/**
 * The one error type core throws. The API maps `kind` to an HTTP status in one place
 * (packages/functions/src/api/error.ts); `code` is the stable machine-readable reason
 * that clients see in `{ error: { code, message } }`.
 */
export type ErrorKind = "input" | "not_found" | "conflict" | "auth" | "forbidden" | "unavailable";

export class StackfleetError extends Error {
  override readonly name = "StackfleetError";
  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export const inputError = (code: string, message: string, details?: Record<string, unknown>) =>
  new StackfleetError("input", code, message, details);
export const notFound = (code: string, message: string) => new StackfleetError("not_found", code, message);
export const conflict = (code: string, message: string, details?: Record<string, unknown>) =>
  new StackfleetError("conflict", code, message, details);
export const forbidden = (code: string, message: string) => new StackfleetError("forbidden", code, message);
export const unauthenticated = (code: string, message: string) => new StackfleetError("auth", code, message);

export const isStackfleetError = (e: unknown, kind?: ErrorKind): e is StackfleetError =>
  e instanceof StackfleetError && (kind === undefined || e.kind === kind);
