export * as Approval from "./approval";
export * as CustomerChangelog from "./customer-changelog";
export * as Halts from "./halts";
export * as Publish from "./publish";
export * as PublishSigned from "./publish-signed";
export * as Integrity from "./quarantine";
export * as VerifiedTemplate from "./verified-template";
export * as Version from "./version";
