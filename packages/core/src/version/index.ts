export * as Version from "./version";
export * as Publish from "./publish";
export * as Controls from "./controls";
