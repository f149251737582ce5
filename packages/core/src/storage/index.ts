export { type TemplateStore, sha256Hex } from "./template-store";
export { LocalTemplateStore } from "./local";
export { S3TemplateStore, type S3TemplateStoreOptions } from "./s3";
