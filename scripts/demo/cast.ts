import type { IntegrationDetail, Page, Version } from "@stackfleet/cli/views";
import { CustomerView } from "./customer";
import type { Narrator } from "./narrator";
import type { DemoTarget } from "./target";
import { showIntegration } from "./time";

/** One connected account and what its customer does with the new version. */
export interface Customer {
  name: string;
  tenant: string;
  accountId: string;
  choice: "skips" | "opts out in its stack" | "lets it update";
  id: string;
  region: string;
  stackName: string;
}

/** Everything the chapters share. */
export interface Demo {
  n: Narrator;
  target: DemoTarget;
  view: CustomerView;
  /** Where the demo writes the vendor's template files. */
  workDir: string;
  customers: Customer[];
  /** The versions this run publishes: one permission added, tampered, halted. */
  versions: { added: string; tampered: string; halted: string };
  /** The newest version whose template still verifies: the one the vendor edits. */
  base: Version;
  /** Wall time the demo started (ms), to say how long the story took to reach each point. */
  startedAt: number;
}

const REGIONS = ["eu-west-1", "us-east-2", "us-west-2", "eu-central-1", "ap-southeast-2", "ca-central-1"];

const CAST = [
  { name: "Northwind prod", tenant: "ten_northwind", choice: "skips" },
  { name: "Northwind dev", tenant: "ten_northwind", choice: "opts out in its stack" },
  { name: "Contoso", tenant: "ten_contoso", choice: "lets it update" },
] as const;

/** Two tenants, three sandbox customer accounts, all in a Region none of them uses yet. */
export async function castOf(
  target: DemoTarget,
): Promise<{ view: CustomerView; cast: Omit<Customer, "id" | "stackName">[] }> {
  if (!target.state.sandbox) throw new Error("the running Stackfleet has no sandbox: start it with `npm start`");
  const view = new CustomerView(target.state.sandbox);
  const accounts = view.customers().map((a) => a.accountId);
  if (accounts.length < CAST.length)
    throw new Error(`the sandbox has ${accounts.length} customer accounts; the demo needs 3`);
  const region = await view.freeRegion(accounts, REGIONS);
  return { view, cast: CAST.map((c, i) => ({ ...c, accountId: accounts[i]!, region })) };
}

/** The newest version first; the base is the newest one not quarantined (its bytes still verify). */
export async function versionsNow(n: Narrator): Promise<{ latest: Version; base: Version }> {
  const { items } = await n.json<Page<Version>>(["versions", "list"]);
  const latest = items[0];
  const base = items.find((v) => !v.stateReason?.startsWith("quarantined"));
  if (!latest || !base)
    throw new Error("no published version to start from (npm start publishes 1.0.0 on first start)");
  return { latest, base };
}

/** Until the registration callback and the two-sided AssumeRole proof have connected it. */
export async function untilConnected(n: Narrator, c: Customer): Promise<IntegrationDetail> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const detail = await showIntegration(n, c);
    if (detail.status === "connected" || Date.now() > deadline) return detail;
    await new Promise((done) => setTimeout(done, 250));
  }
}

/** Until the stack's opt-out, confirmed by its callback, has reached the integration. */
export async function untilOptedOut(n: Narrator, c: Customer): Promise<IntegrationDetail> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const detail = await showIntegration(n, c);
    if (!detail.autoUpdate || Date.now() > deadline) return detail;
    await new Promise((done) => setTimeout(done, 250));
  }
}
