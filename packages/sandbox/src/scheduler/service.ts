import { type SandboxClock, SandboxError } from "../contract";
import { parseScheduleExpression } from "./expression";
import type { Schedule, ScheduleGroup, ScheduleInput } from "./types";
import { checkName, checkScheduleInput } from "./validate";

const DEFAULT_GROUP = "default";

/** EventBridge Scheduler's control plane: schedule groups and schedules, per account and Region. */
export class SchedulerService {
  private readonly schedules = new Map<string, Schedule>();
  private readonly groups = new Map<string, ScheduleGroup>();

  constructor(private readonly clock: SandboxClock) {}

  /** Every schedule (with when it is next due) and group, to persist; `restore` puts them back. */
  save(): { schedules: Schedule[]; groups: ScheduleGroup[] } {
    return { schedules: [...this.schedules.values()], groups: [...this.groups.values()] };
  }

  restore(saved: { schedules: Schedule[]; groups: ScheduleGroup[] }): void {
    for (const g of saved.groups) this.groups.set(groupKey(g.accountId, g.region, g.Name), g);
    for (const s of saved.schedules) this.schedules.set(scheduleKey(s.accountId, s.region, s.GroupName, s.Name), s);
  }

  createSchedule(accountId: string, region: string, input: ScheduleInput): { ScheduleArn: string } {
    const parsed = checkScheduleInput(input);
    const groupName = input.GroupName ?? DEFAULT_GROUP;
    this.requireGroup(accountId, region, groupName);
    const key = scheduleKey(accountId, region, groupName, input.Name!);
    const existing = this.schedules.get(key);
    if (existing) {
      // The SDK resends the same ClientToken when it retries: that is the same request, not a duplicate.
      if (input.ClientToken && existing.clientToken === input.ClientToken) return { ScheduleArn: existing.Arn };
      throw new SandboxError("ConflictException", `Schedule ${input.Name} already exists.`, 409);
    }
    const now = this.clock.now();
    const schedule = this.build(accountId, region, groupName, input, now, now);
    schedule.nextFireAt = firstFireTime(parsed, schedule, now);
    this.schedules.set(key, schedule);
    return { ScheduleArn: schedule.Arn };
  }

  /** UpdateSchedule replaces every field, as AWS documents: omitted optional fields are cleared. */
  updateSchedule(accountId: string, region: string, input: ScheduleInput): { ScheduleArn: string } {
    const parsed = checkScheduleInput(input);
    const groupName = input.GroupName ?? DEFAULT_GROUP;
    const existing = this.getSchedule(accountId, region, input.Name!, groupName);
    const now = this.clock.now();
    const schedule = this.build(accountId, region, groupName, input, existing.CreationDate, now);
    schedule.nextFireAt = firstFireTime(parsed, schedule, now);
    this.schedules.set(scheduleKey(accountId, region, groupName, schedule.Name), schedule);
    return { ScheduleArn: schedule.Arn };
  }

  getSchedule(accountId: string, region: string, name: string, groupName = DEFAULT_GROUP): Schedule {
    checkName("name", name);
    const schedule = this.schedules.get(scheduleKey(accountId, region, groupName, name));
    if (!schedule) throw new SandboxError("ResourceNotFoundException", `Schedule ${name} does not exist.`, 404);
    return schedule;
  }

  deleteSchedule(accountId: string, region: string, name: string, groupName = DEFAULT_GROUP): void {
    this.getSchedule(accountId, region, name, groupName);
    this.schedules.delete(scheduleKey(accountId, region, groupName, name));
  }

  listSchedules(
    accountId: string,
    region: string,
    filter: { GroupName?: string; NamePrefix?: string; State?: string },
  ): Schedule[] {
    return [...this.schedules.values()]
      .filter((s) => s.accountId === accountId && s.region === region)
      .filter((s) => !filter.GroupName || s.GroupName === filter.GroupName)
      .filter((s) => !filter.NamePrefix || s.Name.startsWith(filter.NamePrefix))
      .filter((s) => !filter.State || s.State === filter.State)
      .sort((a, b) => a.Name.localeCompare(b.Name));
  }

  createScheduleGroup(accountId: string, region: string, name: string): { ScheduleGroupArn: string } {
    checkName("name", name);
    const key = groupKey(accountId, region, name);
    if (this.groups.has(key) || name === DEFAULT_GROUP) {
      throw new SandboxError("ConflictException", `Schedule group ${name} already exists.`, 409);
    }
    const now = this.clock.now();
    const group: ScheduleGroup = {
      accountId,
      region,
      Name: name,
      Arn: `arn:aws:scheduler:${region}:${accountId}:schedule-group/${name}`,
      State: "ACTIVE",
      CreationDate: now,
      LastModificationDate: now,
    };
    this.groups.set(key, group);
    return { ScheduleGroupArn: group.Arn };
  }

  listScheduleGroups(accountId: string, region: string): ScheduleGroup[] {
    return [...this.groups.values()]
      .filter((g) => g.accountId === accountId && g.region === region)
      .sort((a, b) => a.Name.localeCompare(b.Name));
  }

  getScheduleGroup(accountId: string, region: string, name: string): ScheduleGroup {
    return this.requireGroup(accountId, region, name);
  }

  /** Deleting a group deletes its schedules (AWS does it eventually; the sandbox at once). */
  deleteScheduleGroup(accountId: string, region: string, name: string): void {
    if (name === DEFAULT_GROUP) throw new SandboxError("ValidationException", "The default group cannot be deleted.");
    this.requireGroup(accountId, region, name);
    this.groups.delete(groupKey(accountId, region, name));
    for (const [key, s] of this.schedules) {
      if (s.accountId === accountId && s.region === region && s.GroupName === name) this.schedules.delete(key);
    }
  }

  /** Every enabled schedule due at `now`, across accounts: what the firing loop delivers. */
  due(now: Date): Schedule[] {
    return [...this.schedules.values()]
      .filter((s) => s.State === "ENABLED" && s.nextFireAt && s.nextFireAt.getTime() <= now.getTime())
      .sort((a, b) => a.nextFireAt!.getTime() - b.nextFireAt!.getTime());
  }

  /** The earliest time after `after` at which an enabled schedule is due (a manual clock steps to it). */
  nextDueAfter(after: Date): Date | undefined {
    let next = Number.POSITIVE_INFINITY;
    for (const s of this.schedules.values()) {
      const at = s.State === "ENABLED" ? s.nextFireAt?.getTime() : undefined;
      if (at !== undefined && at > after.getTime() && at < next) next = at;
    }
    return Number.isFinite(next) ? new Date(next) : undefined;
  }

  /** After a firing: a one-time schedule is done (deleted with `ActionAfterCompletion: DELETE`). */
  completeFiring(schedule: Schedule, firedFor: Date): void {
    const key = scheduleKey(schedule.accountId, schedule.region, schedule.GroupName, schedule.Name);
    if (this.schedules.get(key) !== schedule) return;
    const parsed = parseScheduleExpression(schedule.ScheduleExpression, schedule.ScheduleExpressionTimezone);
    if (parsed.kind === "rate") {
      const next = new Date(firedFor.getTime() + parsed.intervalMs);
      schedule.nextFireAt = schedule.EndDate && next >= schedule.EndDate ? undefined : next;
      return;
    }
    schedule.nextFireAt = undefined;
    if (schedule.ActionAfterCompletion === "DELETE") this.schedules.delete(key);
  }

  private requireGroup(accountId: string, region: string, name: string): ScheduleGroup {
    if (name === DEFAULT_GROUP && !this.groups.has(groupKey(accountId, region, name))) {
      // Every account and Region has a `default` group from the start.
      const epoch = new Date(0);
      this.groups.set(groupKey(accountId, region, name), {
        accountId,
        region,
        Name: name,
        Arn: `arn:aws:scheduler:${region}:${accountId}:schedule-group/${name}`,
        State: "ACTIVE",
        CreationDate: epoch,
        LastModificationDate: epoch,
      });
    }
    const group = this.groups.get(groupKey(accountId, region, name));
    if (!group) throw new SandboxError("ResourceNotFoundException", `Schedule group ${name} does not exist.`, 404);
    return group;
  }

  private build(
    accountId: string,
    region: string,
    groupName: string,
    input: ScheduleInput,
    created: Date,
    modified: Date,
  ): Schedule {
    return {
      accountId,
      region,
      Arn: `arn:aws:scheduler:${region}:${accountId}:schedule/${groupName}/${input.Name}`,
      Name: input.Name!,
      GroupName: groupName,
      ScheduleExpression: input.ScheduleExpression!,
      ScheduleExpressionTimezone: input.ScheduleExpressionTimezone,
      StartDate: input.StartDate,
      EndDate: input.EndDate,
      Description: input.Description,
      State: (input.State as Schedule["State"] | undefined) ?? "ENABLED",
      KmsKeyArn: input.KmsKeyArn,
      Target: structuredClone(input.Target!),
      FlexibleTimeWindow: {
        Mode: input.FlexibleTimeWindow!.Mode!,
        MaximumWindowInMinutes: input.FlexibleTimeWindow!.MaximumWindowInMinutes,
      },
      ActionAfterCompletion: (input.ActionAfterCompletion as Schedule["ActionAfterCompletion"] | undefined) ?? "NONE",
      CreationDate: created,
      LastModificationDate: modified,
      clientToken: input.ClientToken,
    };
  }
}

function firstFireTime(
  parsed: ReturnType<typeof parseScheduleExpression>,
  schedule: Schedule,
  now: Date,
): Date | undefined {
  if (parsed.kind === "at") return parsed.at;
  const start = schedule.StartDate && schedule.StartDate > now ? schedule.StartDate : now;
  const first = new Date(start.getTime() + parsed.intervalMs);
  return schedule.EndDate && first >= schedule.EndDate ? undefined : first;
}

function scheduleKey(accountId: string, region: string, group: string, name: string): string {
  return `${accountId}/${region}/${group}/${name}`;
}

function groupKey(accountId: string, region: string, name: string): string {
  return `${accountId}/${region}/${name}`;
}
