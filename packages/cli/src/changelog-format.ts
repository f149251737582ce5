import { type Changelog, renderMarkdown, renderText } from "@stackfleet/core/changelog";
import { Option } from "commander";

export type ChangelogFormat = "text" | "markdown" | "json";

export const formatOption = () =>
  new Option("--format <format>", "text (for a terminal), markdown (for release notes) or json")
    .choices(["text", "markdown", "json"])
    .default("text");

/**
 * A changelog for a terminal: core's text rendering with its Markdown headings turned into
 * underlined titles, so nothing on screen is Markdown syntax.
 */
export function plainText(changelog: Changelog): string {
  return renderText(changelog)
    .split("\n")
    .flatMap((line) => {
      const heading = /^(#{1,6}) (.*)$/.exec(line);
      if (!heading) return [line];
      const title = heading[2]!;
      return [title, (heading[1]!.length <= 2 ? "=" : "-").repeat(title.length)];
    })
    .join("\n");
}

export function renderChangelog(changelog: Changelog, format: ChangelogFormat): string {
  if (format === "json") return JSON.stringify(changelog, null, 2);
  return format === "markdown" ? renderMarkdown(changelog) : plainText(changelog);
}
