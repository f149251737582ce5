// The changelog between two template versions. Depends on @aws-cdk/cloudformation-diff, so
// only the API/publish and CLI side may import it — never the executor Lambda.

export { type ChangelogLabels, computeChangelog, computeChangelogFromBytes } from "./compute";
export { DEFAULT_GRACE_POLICY, GracePolicy, gracePeriodFor } from "./grace";
export { headline, renderMarkdown, renderText } from "./render";
export type * from "./schema";
export { Changelog } from "./schema";
