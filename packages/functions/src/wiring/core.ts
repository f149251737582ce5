import type { Deps } from "@stackfleet/core/context";
import { createService } from "@stackfleet/core/db/service";
import { type TableAdapters, wireTable } from "./table";

export type { TableAdapters } from "./table";

/** Core's `Deps` over `tableName`: the service, the clock, prefixed ULIDs. */
export function wireCore(tableName: string, adapters: TableAdapters = {}): Deps & { tableName: string } {
  return wireTable(tableName, adapters, createService);
}
