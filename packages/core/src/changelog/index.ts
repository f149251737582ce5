// The changelog between two template versions. Depends on @aws-cdk/cloudformation-diff, so
// only the API/publish and CLI side may import it — never the executor Lambda.
export { Changelog } from "./schema";
export type * from "./schema";
export { computeChangelog, computeChangelogFromBytes, type ChangelogLabels } from "./compute";
export { renderMarkdown, renderText, headline } from "./render";
export { gracePeriodFor, GracePolicy, DEFAULT_GRACE_POLICY } from "./grace";
