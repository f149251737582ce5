export * as IntegrationStatus from "./status";
