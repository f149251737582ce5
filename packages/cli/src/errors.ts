/** Exit codes, documented in packages/cli/README.md: scripts branch on them. */
export const ExitCode = {
  ok: 0,
  /** The API refused or the operation failed (4xx/5xx, a failed stack install, a local file error). */
  failure: 1,
  /** Wrong command line: unknown command or option, missing or invalid argument. */
  usage: 2,
  /** Nothing answered at the API (or sandbox) URL. */
  unreachable: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A failure the CLI explains itself: printed as `stackfleet: <message>` plus a `hint:` line, then exits. */
export class CliError extends Error {
  constructor(
    readonly exitCode: ExitCode,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

export const usageError = (message: string, hint?: string) => new CliError(ExitCode.usage, message, hint);

/** What to do next for the API's error codes the CLI's users meet most; the status decides otherwise. */
const HINTS_BY_CODE: Record<string, string> = {
  operator_required: "this needs an operator token (locally: leave out --tenant and the CLI mints one)",
  token_missing: "pass --token or set STACKFLEET_TOKEN (locally `npm start` lets the CLI mint one)",
  token_expired: "get a fresh token (locally: `stackfleet token …`) and pass it with --token",
  token_invalid: "the API does not trust this token: use one from its identity provider (locally `stackfleet token`)",
  tenant_required: "operators name the tenant: add --tenant ten_…",
  in_grace_period: "the version's grace period has not ended: see `stackfleet versions show VERSION` (graceEndsAt)",
  not_eligible: "`stackfleet integrations show ID` tells why (status, auto-update, skipped versions)",
  version_not_found: "`stackfleet versions list` shows the published versions",
  integration_not_found: "`stackfleet integrations list` shows the tenant's integrations (operators: add --tenant)",
  route_not_found: "this API does not offer that route: check --api points at a Stackfleet API of this CLI's release",
  approval_required: "the approver signs it first: `stackfleet versions approve VERSION --kms-key ARN`",
  approval_invalid:
    "sign with a key pinned in STACKFLEET_PINNED_APPROVER_KEYS (the approver role's), never the release key",
  signing_not_available:
    "this API does not sign: `stackfleet versions release FILE --version X --kms-key ARN` (or --key-file)",
  grace_too_short: "sign again with `--grace` of at least the hours named (broadening changes need the longer grace)",
  broadening_mismatch:
    "the release tool's changelog base differs from the API's: release again against the latest version",
  version_not_halted: "only a halted version can be resumed: `stackfleet rollout status VERSION` shows its state",
  scheduler_not_configured: "deploy the updater stage, then `stackfleet rollout plan VERSION`",
};

const HINTS_BY_STATUS: Record<number, string> = {
  400: "check the arguments (`--help` shows them)",
  401: "pass a valid --token or set STACKFLEET_TOKEN",
  403: "your token's role may not do this",
  404: "check the id or version (`stackfleet integrations list`, `stackfleet versions list`)",
  409: "the current state does not allow this: `show` the integration or version to see why",
  429: "the API is throttling: wait a little and retry",
};

export function hintFor(status: number, code: string): string | undefined {
  return HINTS_BY_CODE[code] ?? HINTS_BY_STATUS[status] ?? (status >= 500 ? "the API failed: retry later" : undefined);
}
