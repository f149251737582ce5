import { table } from "@stackfleet/cli/output";
import type { Version } from "@stackfleet/cli/views";
import type { Demo } from "./cast";
import { showIntegration } from "./time";

/** What the demo leaves behind, read back through the API: one row per customer and per version. */
export interface DemoOutcome {
  customers: Array<{
    name: string;
    id: string;
    tenant: string;
    accountId: string;
    region: string;
    choice: string;
    version: string | undefined;
    autoUpdate: boolean;
    skipped: string[];
  }>;
  versions: Array<{ version: string; state: string; reason: string | undefined }>;
}

export async function outcome(d: Demo): Promise<DemoOutcome> {
  const customers = [];
  for (const c of d.customers) {
    const detail = await showIntegration(d.n, c);
    customers.push({
      name: c.name,
      id: c.id,
      tenant: c.tenant,
      accountId: c.accountId,
      region: c.region,
      choice: c.choice,
      version: detail.currentVersion,
      autoUpdate: detail.autoUpdate,
      skipped: detail.skippedVersions,
    });
  }
  const versions = [];
  for (const v of [d.versions.added, d.versions.tampered, d.versions.halted]) {
    const version = await d.n.json<Version>(["versions", "show", v]);
    versions.push({ version: v, state: version.state, reason: version.stateReason });
  }
  return { customers, versions };
}

const WHY: Record<string, string> = {
  skips: "skipped it during the grace period",
  "opts out in its stack": "EnableAutoUpdate=false in its own stack",
  "lets it update": "did nothing: updated at grace end",
};

export function summaryText(o: DemoOutcome): string {
  return [
    table(
      ["CUSTOMER", "TENANT", "ACCOUNT", "VERSION", "AUTO-UPDATE", "WHY"],
      o.customers.map((c) => [
        c.name,
        c.tenant,
        c.accountId,
        c.version,
        c.autoUpdate ? "on" : "off",
        `${WHY[c.choice] ?? c.choice}${c.skipped.length ? ` (skips ${c.skipped.join(", ")})` : ""}`,
      ]),
    ),
    "",
    table(
      ["VERSION", "STATE", "WHY"],
      o.versions.map((v) => [
        v.version,
        v.state,
        v.reason && v.reason.length > 90 ? `${v.reason.slice(0, 87)}...` : v.reason,
      ]),
    ),
  ].join("\n");
}
