import { randomBytes } from "node:crypto";

/**
 * 32 random bytes as base64url: 43 characters of [A-Za-z0-9_-], inside STS's ExternalId charset
 * `[\w+=,.@:/-]`. 256 bits make a collision negligible; the client never chooses it.
 */
export const newExternalId = (): string => randomBytes(32).toString("base64url");

export const EXTERNAL_ID_PATTERN = /^[\w+=,.@:/-]{2,1224}$/;
