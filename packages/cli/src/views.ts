/**
 * The API's response shapes as the CLI reads them (the OpenAPI document at /openapi.json is the
 * reference). Only the fields the text output uses; `--json` prints the whole body.
 */
export interface Page<T> {
  items: T[];
  cursor: string | null;
}

export interface MaintenanceWindow {
  days: number[];
  startMinute: number;
  durationMinutes: number;
  timezone: string;
}

export interface Integration {
  id: string;
  tenantId: string;
  accountId: string;
  region: string;
  stackName: string;
  externalId: string;
  status: string;
  statusReason?: string;
  autoUpdate: boolean;
  autoUpdateReason?: string;
  currentVersion?: string;
  skippedVersions: string[];
  maintenanceWindow?: MaintenanceWindow;
}

export interface Run {
  id: string;
  version: string;
  attempt: number;
  wave?: string;
  state: string;
  reason?: string;
  scheduledFor: string;
}

export interface IntegrationDetail extends Integration {
  install: { version: string; templateUrl: string; quickCreateUrl: string } | null;
  pendingUpdate: { version: string; scheduledFor: string; changelogSummary?: string } | null;
  history: Run[];
}

export interface Version {
  version: string;
  state: string;
  stateReason?: string;
  graceEndsAt: string;
  permissionsBroadened: boolean;
  approvalRequired: boolean;
  approvedBy?: string;
  changelogSummary?: string;
  template: { sha256: string; size: number };
  publishedBy: string;
  createdAt: string;
}

export interface Plan {
  planned: number;
  existing: number;
  skipped: number;
  rescheduled: number;
  continuing: boolean;
}

export interface WaveProgress {
  size: number;
  finished: number;
  succeeded: number;
  failed: number;
  tolerance: number;
  byState: Record<string, number>;
}

export interface RolloutProgress {
  version: string;
  state: string;
  stateReason?: string;
  graceEndsAt: string;
  fleetSize?: number;
  byState: Record<string, number>;
  waves: Record<string, WaveProgress>;
  failures: Array<{ runId: string; integrationId: string; wave?: string; attempt: number; reason?: string }>;
}

export interface GlobalControl {
  halted: boolean;
  reason?: string;
  changedBy?: string;
  updatedAt?: string;
}

export const integrationPath = (id: string) => `/v1/integrations/${encodeURIComponent(id)}`;
export const versionPath = (version: string) => `/v1/versions/${encodeURIComponent(version)}`;
