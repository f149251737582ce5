export * as Integration from "./integration";
export * as Registration from "./registration";
