import { createHash } from "node:crypto";
import { inputError } from "../error";
import type { ScheduleKind } from "./run-scheduler";

/** Scheduler names: 1–64 of [0-9a-zA-Z-_.], unique within the group. */
export const SCHEDULE_NAME_PATTERN = /^[0-9a-zA-Z\-_.]{1,64}$/;
export const MAX_ATTEMPT = 9999;

// ".watch.9999" is 11 characters, leaving 53 for the run id part.
const READABLE_ID = /^[0-9a-zA-Z\-_]{1,48}$/;
const HASHED_ID = /^x[0-9a-f]{40}$/;

const sha256Hex = (text: string) => createHash("sha256").update(text).digest("hex");

/**
 * `<run id>.<kind>.<attempt>`, e.g. `run_01JD….run.1`: readable in the console, listable by
 * run id prefix. A run id that is too long, contains characters Scheduler refuses or a dot,
 * or looks like our hash form is replaced by `x` + 40 hex digits of its SHA-256. Readable ids
 * have no dots and never look hashed, so distinct requests never share a name.
 */
export function scheduleName(runId: string, kind: ScheduleKind, attempt: number): string {
  if (!Number.isInteger(attempt) || attempt < 1 || attempt > MAX_ATTEMPT) {
    throw inputError("schedule_attempt_invalid", `attempt must be an integer from 1 to ${MAX_ATTEMPT}`);
  }
  if (runId.length === 0) throw inputError("schedule_run_id_invalid", "run id must not be empty");
  const id = READABLE_ID.test(runId) && !HASHED_ID.test(runId) ? runId : `x${sha256Hex(runId).slice(0, 40)}`;
  return `${id}.${kind}.${attempt}`;
}

/**
 * Scheduler's idempotency key for a create: the same request retried is recognised. The fire
 * time is part of it, so re-creating a cancelled schedule at another time is a new request
 * rather than a replay of the old one. 64 hex digits: exactly Scheduler's limit.
 */
export const createClientToken = (groupName: string, name: string, expression: string) =>
  sha256Hex(`${groupName}\n${name}\n${expression}`);

/**
 * `at(yyyy-mm-ddThh:mm:ss)` in UTC. Sub-second parts round up to the next second, so the
 * expression is never before `at`: the executor may refuse to act early (grace end,
 * maintenance window), and an early fire would just be wasted.
 */
export function atExpression(at: Date): string {
  const ms = at.getTime();
  if (!Number.isFinite(ms)) throw inputError("schedule_time_invalid", "schedule time is not a valid date");
  const seconds = new Date(Math.ceil(ms / 1000) * 1000).toISOString().slice(0, 19);
  return `at(${seconds})`;
}
