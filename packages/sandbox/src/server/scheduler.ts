import { type Principal, SandboxError } from "../contract";
import type { Authorizer } from "../iam/authorize";
import type { SchedulerService } from "../scheduler/service";
import type { Schedule, ScheduleGroup, ScheduleInput } from "../scheduler/types";
import type { HttpReply, ServiceCall, ServiceEndpoint } from "./types";

/** EventBridge Scheduler over REST-JSON (`/schedules/{Name}`, `/schedule-groups/{Name}`). */
export class SchedulerEndpoint implements ServiceEndpoint {
  constructor(
    private readonly service: SchedulerService,
    private readonly authorizer: Authorizer,
  ) {}

  async handle(call: ServiceCall): Promise<HttpReply> {
    const account = call.principal.accountId;
    const { region, query } = call;
    const [collection, rawName, extra] = call.path.split("/").filter(Boolean);
    const name = rawName === undefined ? undefined : decodeURIComponent(rawName);
    if (extra !== undefined) throw notFound(call);

    if (collection === "schedules" && name === undefined && call.method === "GET") {
      await this.authorize(call.principal, "ListSchedules", "*", region);
      const schedules = this.service.listSchedules(account, region, {
        GroupName: query.get("ScheduleGroup") ?? undefined,
        NamePrefix: query.get("NamePrefix") ?? undefined,
        State: query.get("State") ?? undefined,
      });
      return page(schedules.map(summary), "Schedules", query, call.requestId);
    }
    if (collection === "schedules" && name !== undefined) {
      const group = query.get("groupName") ?? "default";
      const input = (call.method === "POST" || call.method === "PUT" ? parseBody(call.body) : {}) as ScheduleInput;
      const resource = `arn:aws:scheduler:${region}:${account}:schedule/${input.GroupName ?? group}/${name}`;
      switch (call.method) {
        case "POST":
        case "PUT": {
          const action = call.method === "POST" ? "CreateSchedule" : "UpdateSchedule";
          await this.authorize(call.principal, action, resource, region);
          if (input.Target?.RoleArn)
            await this.authorizer.authorizePassRole(
              "scheduler.amazonaws.com",
              call.principal,
              input.Target.RoleArn,
              region,
            );
          const full = { ...input, Name: name, StartDate: toDate(input.StartDate), EndDate: toDate(input.EndDate) };
          const out =
            call.method === "POST"
              ? this.service.createSchedule(account, region, full)
              : this.service.updateSchedule(account, region, full);
          return json(200, out, call.requestId);
        }
        case "GET":
          await this.authorize(call.principal, "GetSchedule", resource, region);
          return json(200, describe(this.service.getSchedule(account, region, name, group)), call.requestId);
        case "DELETE":
          await this.authorize(call.principal, "DeleteSchedule", resource, region);
          this.service.deleteSchedule(account, region, name, group);
          return json(200, {}, call.requestId);
      }
    }
    if (collection === "schedule-groups" && name === undefined && call.method === "GET") {
      await this.authorize(call.principal, "ListScheduleGroups", "*", region);
      const prefix = query.get("NamePrefix") ?? "";
      // Listing materialises the `default` group every account has.
      this.service.getScheduleGroup(account, region, "default");
      const groups = this.service
        .listScheduleGroups(account, region)
        .filter((g) => g.Name.startsWith(prefix))
        .map(groupSummary);
      return page(groups, "ScheduleGroups", query, call.requestId);
    }
    if (collection === "schedule-groups" && name !== undefined) {
      const resource = `arn:aws:scheduler:${region}:${account}:schedule-group/${name}`;
      switch (call.method) {
        case "POST":
          await this.authorize(call.principal, "CreateScheduleGroup", resource, region);
          return json(200, this.service.createScheduleGroup(account, region, name), call.requestId);
        case "GET":
          await this.authorize(call.principal, "GetScheduleGroup", resource, region);
          return json(200, groupSummary(this.service.getScheduleGroup(account, region, name)), call.requestId);
        case "DELETE":
          await this.authorize(call.principal, "DeleteScheduleGroup", resource, region);
          this.service.deleteScheduleGroup(account, region, name);
          return json(200, {}, call.requestId);
      }
    }
    throw notFound(call);
  }

  errorReply(error: SandboxError, requestId: string): HttpReply {
    // REST-JSON services name these two differently from the query services.
    const code =
      error.code === "Throttling"
        ? "ThrottlingException"
        : error.code === "AccessDenied"
          ? "AccessDeniedException"
          : error.code;
    const status = code === "ThrottlingException" ? 429 : error.status;
    return {
      status,
      headers: { "content-type": "application/json", "x-amzn-errortype": code, "x-amzn-requestid": requestId },
      body: JSON.stringify({ Message: error.message }),
    };
  }

  private authorize(principal: Principal, action: string, resource: string, region: string): Promise<void> {
    return this.authorizer.authorize({
      principal,
      action: `scheduler:${action}`,
      resource,
      resourceAccount: principal.accountId,
      region,
    });
  }
}

function notFound(call: ServiceCall): SandboxError {
  return new SandboxError("ResourceNotFoundException", `No Scheduler operation for ${call.method} ${call.path}.`, 404);
}

function parseBody(body: string): unknown {
  try {
    return body ? JSON.parse(body) : {};
  } catch {
    throw new SandboxError("ValidationException", "The request body is not valid JSON.");
  }
}

/** REST-JSON timestamps are epoch seconds. */
function toDate(value: unknown): Date | undefined {
  if (value === undefined || value === null) return undefined;
  return typeof value === "number" ? new Date(value * 1000) : new Date(String(value));
}

function seconds(date: Date | undefined): number | undefined {
  return date === undefined ? undefined : date.getTime() / 1000;
}

function describe(s: Schedule): Record<string, unknown> {
  return {
    Arn: s.Arn,
    Name: s.Name,
    GroupName: s.GroupName,
    ScheduleExpression: s.ScheduleExpression,
    ScheduleExpressionTimezone: s.ScheduleExpressionTimezone,
    StartDate: seconds(s.StartDate),
    EndDate: seconds(s.EndDate),
    Description: s.Description,
    State: s.State,
    KmsKeyArn: s.KmsKeyArn,
    Target: s.Target,
    FlexibleTimeWindow: s.FlexibleTimeWindow,
    ActionAfterCompletion: s.ActionAfterCompletion,
    CreationDate: seconds(s.CreationDate),
    LastModificationDate: seconds(s.LastModificationDate),
  };
}

function summary(s: Schedule): Record<string, unknown> {
  return {
    Arn: s.Arn,
    Name: s.Name,
    GroupName: s.GroupName,
    State: s.State,
    CreationDate: seconds(s.CreationDate),
    LastModificationDate: seconds(s.LastModificationDate),
    Target: { Arn: s.Target.Arn },
  };
}

function groupSummary(g: ScheduleGroup): Record<string, unknown> {
  return {
    Arn: g.Arn,
    Name: g.Name,
    State: g.State,
    CreationDate: seconds(g.CreationDate),
    LastModificationDate: seconds(g.LastModificationDate),
  };
}

/** `NextToken` is the index of the next item; `MaxResults` 1–100 as in AWS. */
function page(
  items: Array<Record<string, unknown>>,
  key: string,
  query: URLSearchParams,
  requestId: string,
): HttpReply {
  const max = Number(query.get("MaxResults") ?? 100);
  if (!Number.isInteger(max) || max < 1 || max > 100) {
    throw new SandboxError("ValidationException", "MaxResults must be between 1 and 100.");
  }
  const start = Number(query.get("NextToken") ?? 0);
  const slice = items.slice(start, start + max);
  const next = start + max < items.length ? String(start + max) : undefined;
  return json(200, { [key]: slice, ...(next ? { NextToken: next } : {}) }, requestId);
}

function json(status: number, body: unknown, requestId: string): HttpReply {
  return {
    status,
    headers: { "content-type": "application/json", "x-amzn-requestid": requestId },
    body: JSON.stringify(body),
  };
}
