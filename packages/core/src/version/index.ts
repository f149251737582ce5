export * as Halts from "./halts";
export * as Publish from "./publish";
export * as Version from "./version";
