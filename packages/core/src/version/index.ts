export * as CustomerChangelog from "./customer-changelog";
export * as Halts from "./halts";
export * as Publish from "./publish";
export * as Integrity from "./quarantine";
export * as VerifiedTemplate from "./verified-template";
export * as Version from "./version";
