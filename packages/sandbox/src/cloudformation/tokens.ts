import { tokenAlreadyExists } from "./errors";

export interface Claim {
  operation: string;
  fingerprint: string;
  result: unknown;
}

/**
 * Client request tokens of one account and Region: a retry with the same token and the same request
 * gets the first answer again; the token on any other request is `TokenAlreadyExistsException`.
 */
export class TokenRegistry {
  private readonly claims = new Map<string, Claim>();

  /** The earlier result when this is a retry of the same request, else undefined (the token is free). */
  replay<T>(token: string | undefined, operation: string, request: unknown): T | undefined {
    if (token === undefined) return undefined;
    const claim = this.claims.get(token);
    if (!claim) return undefined;
    if (claim.operation !== operation || claim.fingerprint !== fingerprint(request)) {
      throw tokenAlreadyExists(
        `Another ${claim.operation} request with client request token ${token} has already been submitted`,
      );
    }
    return claim.result as T;
  }

  entries(): Array<[string, Claim]> {
    return [...this.claims];
  }

  restore(entries: Array<[string, Claim]>): void {
    for (const [token, claim] of entries) this.claims.set(token, claim);
  }

  record(token: string | undefined, operation: string, request: unknown, result: unknown): void {
    if (token !== undefined) this.claims.set(token, { operation, fingerprint: fingerprint(request), result });
  }
}

/** A stable serialisation of the request without its token (key order does not matter). */
function fingerprint(request: unknown): string {
  return JSON.stringify(request, (key, value: unknown) => {
    if (key === "ClientRequestToken") return undefined;
    if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      return Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)));
    }
    return value;
  });
}
