/**
 * The updater-owned table's contract, defined once: infra/updater-state.ts declares the table and
 * scopes every IAM grant by these leading keys, the local runtime and the tests create it from
 * here. One string partition key and nothing else, so `dynamodb:LeadingKeys` can say exactly
 * which items a principal may write. Keep this file free of imports: SST's config bundler loads it.
 */
export const updaterTableSchema = {
  partitionKey: "pk",
} as const;

/** Key prefixes; the emergency stop is one fixed key only the security-team role may write. */
export const UPDATER_KEYS = {
  /** `seen#<template sha256>.<manifest sha256>`: when the updater first learned of a version digest. */
  firstSeenPrefix: "seen#",
  /** `hwm#<integration id>`: the highest version sequence the updater applied there. */
  highWaterPrefix: "hwm#",
  emergencyStop: "emergency-stop",
} as const;

export const firstSeenKey = (digest: string) => `${UPDATER_KEYS.firstSeenPrefix}${digest}`;
export const highWaterKey = (integrationId: string) => `${UPDATER_KEYS.highWaterPrefix}${integrationId}`;
