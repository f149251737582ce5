/** A version row with placeholder signing fields, for tests about keys and state, not signatures. */
export const versionItem = (at: string, over: { version?: string; sequence?: number } = {}) => ({
  version: over.version ?? "1.1.0",
  sequence: over.sequence ?? 2,
  templateSha256: "ab",
  templateSize: 1,
  templateLocation: "file:ab",
  manifest: "m",
  signature: "s",
  keyId: "k",
  graceEndsAt: at,
  state: "published" as const,
  publishedBy: "operator:o",
  createdAt: at,
  updatedAt: at,
});
