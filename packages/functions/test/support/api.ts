import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestStore, type TestStore } from "../../../../test/support/store";
import { DEFAULT_GRACE_POLICY } from "@stackfleet/core/changelog/index";
import { createLocalSigner, pinnedKeyOf } from "@stackfleet/core/signing/index";
import { LocalTemplateStore } from "@stackfleet/core/storage/index";
import type { PublishContext } from "@stackfleet/core/version/publish";
import type { AssumeProbe } from "@stackfleet/core/access/probe";
import type { StackfleetConfig } from "@stackfleet/core/config";
import { createApp } from "../../src/api/app";
import type { ApiDeps } from "../../src/api/env";
import { createTestAuth, type TestAuth } from "./auth";

export const testConfig: StackfleetConfig = {
  vendorName: "Acme Security",
  product: "acme",
  stackPrefix: "Acme",
  vendorAccountId: "111111111111",
  updaterAccountId: "222222222222",
  executorRoleName: "stackfleet-executor",
  apiBaseUrl: "https://api.acme.test",
  templateBaseUrl: "https://acme-templates.s3.eu-west-1.amazonaws.com/templates",
};

/** Denies everything: routes that need a trust proof must get a real probe from the test. */
const denyAll: AssumeProbe = { tryAssume: async () => ({ kind: "denied", message: "no sandbox in this test" }) };

export interface TestApi extends TestAuth {
  app: ReturnType<typeof createApp>;
  store: TestStore;
  deps: ApiDeps;
  errors: unknown[];
}

/** Signing with a fresh local P-256 key file, templates in a temp folder — the local runtime's setup. */
export async function createTestPublishing(): Promise<PublishContext> {
  const dir = mkdtempSync(join(tmpdir(), "stackfleet-publish-"));
  const signer = await createLocalSigner(join(dir, "signing-key.pem"));
  return {
    release: { signer, store: new LocalTemplateStore(join(dir, "templates")), pinnedKeys: [await pinnedKeyOf(signer)] },
    product: testConfig.product,
    stackPrefix: testConfig.stackPrefix,
    grace: DEFAULT_GRACE_POLICY,
    manifestLifetimeDays: 90,
  };
}

/** The real app over a fresh DynamoDB Local table, a test signing key and a test config. */
export async function createTestApi(overrides: Partial<ApiDeps> & { probe?: AssumeProbe } = {}): Promise<TestApi> {
  const store = await createTestStore();
  const auth = await createTestAuth(store.now);
  const { probe, ...rest } = overrides;
  const deps: ApiDeps = {
    ...store,
    tableName: store.tableName,
    auth: auth.auth,
    config: testConfig,
    access: { probe: probe ?? denyAll, stackPrefix: testConfig.stackPrefix, proof: { sleep: async () => {} } },
    publishing: rest.publishing ?? (await createTestPublishing()),
    ...rest,
  };
  const errors: unknown[] = [];
  const app = createApp(deps, { log: { error: (_, details) => errors.push(details) } });
  return { ...auth, app, store, deps, errors };
}
