/**
 * The table contract, defined once. `infra/storage.ts` declares the DynamoDB table from it and the
 * local runtime and tests create their table from it, so the two cannot drift. Keep this file free
 * of imports: SST's config bundler loads it too.
 */
export const tableSchema = {
  partitionKey: "pk",
  sortKey: "sk",
  /** Generic GSIs; which entity uses which index for what is documented in README "Table contract". */
  globalIndexes: {
    gsi1: { partitionKey: "gsi1pk", sortKey: "gsi1sk" },
    gsi2: { partitionKey: "gsi2pk", sortKey: "gsi2sk" },
    gsi3: { partitionKey: "gsi3pk", sortKey: "gsi3sk" },
    gsi4: { partitionKey: "gsi4pk", sortKey: "gsi4sk" },
  },
  /** Epoch seconds; only short-lived items (idempotency markers) set it. */
  ttlAttribute: "expiresAt",
} as const;

export type TableSchema = typeof tableSchema;

/** Every key attribute is a string. */
export const keyAttributes = (): string[] => [
  tableSchema.partitionKey,
  tableSchema.sortKey,
  ...Object.values(tableSchema.globalIndexes).flatMap((i) => [i.partitionKey, i.sortKey]),
];
