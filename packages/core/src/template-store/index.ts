export { S3TemplateStore, type S3TemplateStoreOptions } from "./s3";
export { sha256Hex, type TemplateStore } from "./template-store";
