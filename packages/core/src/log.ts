/** Structured logging as core sees it: Powertools' Logger in Lambda, JSON lines locally. */
export interface Log {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** Keys carried on every later line (run, integration, tenant, version). */
  appendKeys(keys: Record<string, unknown>): void;
}

export function jsonLog(
  service: string,
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Log {
  let keys: Record<string, unknown> = {};
  const emit =
    (level: string) =>
    (message: string, fields: Record<string, unknown> = {}) =>
      write(JSON.stringify({ level, time: new Date().toISOString(), service, message, ...keys, ...fields }));
  return {
    info: emit("INFO"),
    warn: emit("WARN"),
    error: emit("ERROR"),
    appendKeys: (more) => void (keys = { ...keys, ...more }),
  };
}

export const silentLog: Log = { info() {}, warn() {}, error() {}, appendKeys() {} };
