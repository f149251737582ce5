import { z } from "zod";
import { SandboxError } from "./contract";
import type { SandboxControl } from "./control";
import { parseDuration } from "./duration";

const service = z.enum(["sts", "cloudformation", "scheduler"]).optional();
const accountId = z.string().regex(/^\d{12}$/, "must be a 12-digit account id");
const count = z.number().int().positive();
const statement = z.record(z.string(), z.unknown());
const policyDocument = z.object({
  Version: z.string().optional(),
  Statement: z.union([z.array(statement), statement]),
});

const schemas = {
  advance: z
    .object({ ms: z.number().int().nonnegative().optional(), duration: z.string().min(1).optional() })
    .strict()
    .refine(
      (b) => (b.ms === undefined) !== (b.duration === undefined),
      'give either ms (a number) or duration ("25h")',
    ),
  throttle: z.object({ count, service }),
  delay: z.object({ ms: z.number().nonnegative(), count: count.optional(), service }),
  deliverTwice: z.object({ count: count.optional() }),
  failNextUpdate: z.object({
    accountId,
    stackName: z.string().min(1),
    reason: z.string().optional(),
    region: z.string().optional(),
    rollbackFails: z.boolean().optional(),
  }),
  deleteRole: z.object({ roleArn: z.string().min(1) }),
  putRole: z.object({
    accountId,
    roleName: z.string().min(1),
    trustPolicy: policyDocument,
    inlinePolicies: z.record(z.string(), policyDocument).optional(),
    managedPolicyArns: z.array(z.string()).optional(),
    permissionsBoundaryArn: z.string().optional(),
    maxSessionDuration: z.number().int().optional(),
  }),
  stackParameters: z
    .object({
      account: accountId.optional(),
      accountId: accountId.optional(),
      region: z.string().min(1).optional(),
      stackName: z.string().min(1),
      parameters: z
        .record(z.string(), z.string())
        .refine((p) => Object.keys(p).length > 0, "name at least one parameter"),
    })
    .refine((b) => (b.account ?? b.accountId) !== undefined, "account is required"),
};

function parse<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const where = issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
  throw new SandboxError("invalid_request", `${where}${issue.message}`, 400);
}

/** `/_sandbox/…` JSON routes over the same control (undefined → 404). */
export async function controlRoute(
  control: SandboxControl,
  method: string,
  path: string,
  body: unknown,
): Promise<unknown> {
  switch (`${method} ${path.replace(/\/$/, "")}`) {
    case "GET /_sandbox/accounts":
      return { accounts: control.accounts() };
    case "GET /_sandbox/clock":
      return { now: control.now().toISOString(), kind: control.clockKind() };
    case "POST /_sandbox/clock/advance": {
      const input = parse(schemas.advance, body);
      const deliveries = await control.advanceClock(input.ms ?? parseDuration(input.duration!));
      return { now: control.now().toISOString(), deliveries };
    }
    case "POST /_sandbox/schedules/fire-due":
      return { deliveries: await control.fireDue() };
    case "POST /_sandbox/stacks/parameters": {
      const input = parse(schemas.stackParameters, body);
      return control.setStackParameters({
        accountId: (input.account ?? input.accountId)!,
        stackName: input.stackName,
        parameters: input.parameters,
        ...(input.region !== undefined && { region: input.region }),
      });
    }
    default:
      return faultAndRoleRoutes(control, `${method} ${path.replace(/\/$/, "")}`, body);
  }
}

function faultAndRoleRoutes(control: SandboxControl, route: string, body: unknown): unknown {
  switch (route) {
    case "POST /_sandbox/faults/throttle": {
      const input = parse(schemas.throttle, body);
      control.throttleNext(input.count, input.service);
      return { ok: true };
    }
    case "POST /_sandbox/faults/delay": {
      const input = parse(schemas.delay, body);
      control.delayNext(input.ms, input.count ?? 1, input.service);
      return { ok: true };
    }
    case "POST /_sandbox/faults/deliver-twice":
      control.deliverTwice(parse(schemas.deliverTwice, body).count ?? 1);
      return { ok: true };
    case "POST /_sandbox/faults/fail-next-update": {
      const { accountId, stackName, ...options } = parse(schemas.failNextUpdate, body);
      control.failNextUpdate(accountId, stackName, options);
      return { ok: true };
    }
    case "POST /_sandbox/roles/delete":
      control.deleteRole(parse(schemas.deleteRole, body).roleArn);
      return { ok: true };
    case "POST /_sandbox/roles":
      return { role: control.putRole(parse(schemas.putRole, body)) };
    case "GET /_sandbox/roles":
      return { roles: control.roles() };
    case "GET /_sandbox/deliveries":
      return { deliveries: control.deliveries(), deadLetters: control.deadLetters() };
    default:
      return undefined;
  }
}
