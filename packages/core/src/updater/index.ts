export * from "./announce";
export * from "./create-table";
export * from "./digest";
export * from "./store";
export * from "./table";
