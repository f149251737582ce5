/**
 * The two-stage deploy as data: main → updater → main again, and which outputs of one `sst deploy`
 * become the environment of the next. Pure, so the dry run prints exactly what a deploy would do.
 */

export interface DeployOptions {
  stage: string;
  /** AWS profiles for the two accounts; omitted = the ambient credentials. */
  mainProfile?: string;
  updaterProfile?: string;
  /** Use the main stage's own release key as the executor's pinned key (else STACKFLEET_PINNED_KEYS must be set). */
  trustMainKeys?: boolean;
}

export interface DeployStep {
  title: string;
  command: string[];
  /** Set before the step, by name; values `<output of step N: NAME>` are filled from earlier outputs. */
  env: Record<string, string>;
  /** Earlier outputs this step receives: `{ variable: "step N: OUTPUT" }`. */
  receives: Record<string, string>;
}

/** Main-stage outputs the updater reads (infra/updater.ts). */
export const MAIN_TO_UPDATER = [
  "STACKFLEET_MAIN_TABLE_ARN",
  // Version items announce themselves to the updater through it (infra/updater-state.ts).
  "STACKFLEET_MAIN_TABLE_STREAM_ARN",
  "STACKFLEET_TEMPLATE_BUCKET_ARN",
  "STACKFLEET_NOTIFICATION_TOPIC_ARN",
  "STACKFLEET_MAIN_API_ROLE_ARN",
  "STACKFLEET_API_BASE_URL",
  "STACKFLEET_TEMPLATE_BASE_URL",
  "STACKFLEET_PINNED_APPROVER_KEYS",
] as const;

/** Updater-stage outputs the main stage reads on its second deploy (infra/config.ts updaterCoordinates). */
export const UPDATER_TO_MAIN = [
  "STACKFLEET_SCHEDULE_GROUP_ARN",
  "STACKFLEET_SCHEDULER_ROLE_ARN",
  "STACKFLEET_EXECUTOR_ARN",
  "STACKFLEET_EXECUTOR_ROLE_ARN",
  "STACKFLEET_SCHEDULE_DLQ_ARN",
  "STACKFLEET_SCHEDULE_WRITER_ROLE_ARN",
  "STACKFLEET_ANNOUNCE_ROLE_ARN",
] as const;

export class DeployPlanError extends Error {}

/** Where `npm run deploy` keeps each stage's outputs (`<stage>.json`), for the next step and `stackfleet doctor`. */
export const DEPLOY_RECORDS_DIR = ".stackfleet/deploy";

/** The stage a step deploys (`sst deploy --stage X`). */
export const stageOf = (step: DeployStep): string => step.command[step.command.length - 1] ?? "";

const STAGE = /^[a-z][a-z0-9-]{0,40}$/;

export function planDeploy(options: DeployOptions, env: Record<string, string | undefined>): DeployStep[] {
  const { stage } = options;
  if (!STAGE.test(stage) || stage.endsWith("-updater")) {
    throw new DeployPlanError(`--stage must be a main stage name (lowercase, not ending in -updater), got "${stage}"`);
  }
  const updaterStage = `${stage}-updater`;
  if (!env.STACKFLEET_UPDATER_ACCOUNT_ID) {
    throw new DeployPlanError("STACKFLEET_UPDATER_ACCOUNT_ID must be set: the account the updater stage deploys into");
  }
  if (!env.STACKFLEET_PINNED_KEYS && !options.trustMainKeys) {
    throw new DeployPlanError(
      "STACKFLEET_PINNED_KEYS is not set: pin the release key(s) the executor trusts, or pass --trust-main-keys " +
        "to pin the main stage's own release key (review it in the plan)",
    );
  }
  const profile = (name?: string): Record<string, string> => (name ? { AWS_PROFILE: name } : {});
  const deploy = (target: string) => ["npx", "sst", "deploy", "--stage", target];
  const fromStep = (step: number, names: readonly string[]) =>
    Object.fromEntries(names.map((name) => [name, `step ${step}: ${name}`]));

  const mainEnv = {
    ...profile(options.mainProfile),
    STACKFLEET_EXECUTOR_ROLE_NAME: env.STACKFLEET_EXECUTOR_ROLE_NAME ?? `stackfleet-${updaterStage}-executor`,
  };
  const toUpdater = [...MAIN_TO_UPDATER, ...(env.STACKFLEET_PINNED_KEYS ? [] : ["STACKFLEET_PINNED_KEYS"])];
  return [
    {
      title: `main stage "${stage}": table, API, template bucket, signing keys and roles, topics`,
      command: deploy(stage),
      env: mainEnv,
      receives: {},
    },
    {
      title: `updater stage "${updaterStage}": schedule group, DLQ, scheduler role, executor`,
      command: deploy(updaterStage),
      env: profile(options.updaterProfile),
      receives: fromStep(1, toUpdater),
    },
    {
      title: `main stage "${stage}" again: scheduling grants and cross-account policies for the executor`,
      command: deploy(stage),
      env: mainEnv,
      receives: fromStep(2, UPDATER_TO_MAIN),
    },
  ];
}

/** The environment of a step: its own settings plus the outputs it receives (absent optional ones skipped). */
export function stepEnvironment(
  step: DeployStep,
  outputs: Record<number, Record<string, unknown>>,
): Record<string, string> {
  const received: Record<string, string> = {};
  for (const [variable, source] of Object.entries(step.receives)) {
    const [, stepNumber, name] = /^step (\d+): (\w+)$/.exec(source) ?? [];
    const value = outputs[Number(stepNumber)]?.[name ?? ""];
    if (value !== undefined && value !== null && value !== "") received[variable] = String(value);
  }
  return { ...step.env, ...received };
}

export function formatPlan(steps: DeployStep[]): string {
  return steps
    .map((step, index) => {
      const lines = [`${index + 1}. ${step.title}`, `   $ ${step.command.join(" ")}`];
      for (const [name, value] of Object.entries(step.env)) lines.push(`   env ${name}=${value}`);
      for (const [name, source] of Object.entries(step.receives)) lines.push(`   env ${name} ← ${source}`);
      return lines.join("\n");
    })
    .join("\n");
}
