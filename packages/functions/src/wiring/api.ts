import { S3Client } from "@aws-sdk/client-s3";
import { STSClient } from "@aws-sdk/client-sts";
import { stsAssumeProbe } from "@stackfleet/core/access/probe";
import { createJwtVerifier, type JwtVerifier } from "@stackfleet/core/auth";
import type { ApiConfig } from "@stackfleet/core/config";
import type { Deps } from "@stackfleet/core/context";
import type { RegistrationContext } from "@stackfleet/core/integration/registration";
import { S3TemplateStore } from "@stackfleet/core/template-store";
import type { ReleaseDeps } from "@stackfleet/core/version/release";
import { createApp } from "../api/app";
import type { ApiDeps, Planner } from "../api/env";
import type { ErrorLogger } from "../api/error";
import { type TableAdapters, wireCore } from "./core";
import { wireAwsPlanner } from "./planner";

/** The part of `ApiConfig` the composition itself reads; the rest only configures AWS adapters. */
export type ApiSettings = Pick<ApiConfig, "product" | "tableName" | "grace" | "manifestLifetimeDays"> &
  Partial<Pick<ApiConfig, "cursorKey" | "corsOrigins" | "pendingDays" | "pinnedApproverKeys">>;

/** Everything the API talks to: AWS services in Lambda, the dev key, key file, folder and sandbox locally. */
export interface ApiAdapters extends TableAdapters {
  auth: JwtVerifier;
  /** The vendor-side AssumeRole probe behind registration and access checks. */
  access: Omit<RegistrationContext, "stackPrefix">;
  /**
   * Template store and the pinned keys every publication is verified against. A signer only
   * locally (`npm start` injects its key file): in AWS the API never signs.
   */
  release: ReleaseDeps;
  planner(core: Deps): Planner;
  log: ErrorLogger;
}

export interface ApiWiring {
  deps: ApiDeps;
  app: ReturnType<typeof createApp>;
}

export function wireApi(settings: ApiSettings, adapters: ApiAdapters): ApiWiring {
  const { product } = settings;
  const core = wireCore(settings.tableName, adapters);
  const deps: ApiDeps = {
    ...core,
    auth: adapters.auth,
    config: product,
    access: { ...adapters.access, stackPrefix: product.stackPrefix },
    publishing: {
      release: adapters.release,
      approverKeys: settings.pinnedApproverKeys ?? [],
      product: product.product,
      stackPrefix: product.stackPrefix,
      grace: settings.grace,
      manifestLifetimeDays: settings.manifestLifetimeDays,
    },
    rollout: adapters.planner(core),
    cursorKey: settings.cursorKey,
    pendingDays: settings.pendingDays,
  };
  return { deps, app: createApp(deps, { log: adapters.log, corsOrigins: settings.corsOrigins }) };
}

/**
 * The API in AWS. Tokens come from the vendor's IdP (its JWKS fetched and cached by jose); the
 * API's role may assume only `<prefix>-integration-*` roles, and only to prove trust; it is wired
 * with no signer at all (releases arrive signed by the release role, outside every Lambda), and checks
 * every publication against the same pinned keys the executor trusts before it is recorded.
 */
export function awsApiAdapters(config: ApiConfig, log: ErrorLogger): ApiAdapters {
  return {
    auth: createJwtVerifier({
      issuer: config.jwt.issuer,
      audience: config.jwt.audience,
      jwks: new URL(config.jwt.jwksUrl),
    }),
    access: { probe: stsAssumeProbe(new STSClient({})) },
    release: {
      store: new S3TemplateStore({ client: new S3Client({}), bucket: config.templateBucket, prefix: "templates/" }),
      pinnedKeys: config.pinnedKeys,
    },
    planner: (core) => wireAwsPlanner(core, config),
    log,
  };
}
