export * as Fleet from "./fleet";
