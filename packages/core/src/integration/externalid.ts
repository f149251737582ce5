import { createHash, randomBytes } from "node:crypto";

/**
 * 32 random bytes as base64url: 43 characters of [A-Za-z0-9_-], inside STS's ExternalId charset
 * `[\w+=,.@:/-]`. 256 bits make a collision negligible; the client never chooses it.
 */
export const newExternalId = (): string => randomBytes(32).toString("base64url");

export const EXTERNAL_ID_PATTERN = /^[\w+=,.@:/-]{2,1224}$/;

/** How the ExternalId index keys an integration: never the value itself. */
export const externalIdHash = (externalId: string): string => createHash("sha256").update(externalId).digest("hex");
