export * as Event from "./event";
