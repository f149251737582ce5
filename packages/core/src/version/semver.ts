/**
 * The three semver functions core uses — `valid`, `gt`, `lt` — as the `semver` package (7.x, strict
 * mode) defines them, written out: its SemVer class and regex table are ~9.5 KiB of the executor's
 * Lambda bundle, which has a 300 KiB budget (test/bundle.test.ts). packages/core/test/semver.test.ts
 * checks every function against the package on generated and edge-case versions.
 */

const MAX_LENGTH = 256;
// semver's FULL regex. Its "safe" variant bounds each repetition by 256 characters, which no
// version within MAX_LENGTH can reach, so both accept the same strings.
const FULL =
  /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:\d*[a-zA-Z-][a-zA-Z0-9-]*|0|[1-9]\d*)(?:\.(?:\d*[a-zA-Z-][a-zA-Z0-9-]*|0|[1-9]\d*))*))?(?:\+([a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*))?$/;
const NUMERIC = /^[0-9]+$/;

type Parsed = { version: string; main: [number, number, number]; prerelease: (string | number)[] };

/** semver's `new SemVer(version)`: the parsed version, or the TypeError the package throws. */
function parse(version: unknown): Parsed {
  if (typeof version !== "string")
    throw new TypeError(`Invalid version. Must be a string. Got type "${typeof version}".`);
  if (version.length > MAX_LENGTH) throw new TypeError(`version is longer than ${MAX_LENGTH} characters`);
  const m = version.trim().match(FULL);
  if (!m) throw new TypeError(`Invalid Version: ${version}`);
  const main = [+m[1]!, +m[2]!, +m[3]!] as [number, number, number];
  const part = ["major", "minor", "patch"].find((_, i) => main[i]! > Number.MAX_SAFE_INTEGER);
  if (part) throw new TypeError(`Invalid ${part} version`);
  const prerelease = m[4]
    ? m[4].split(".").map((id) => (NUMERIC.test(id) && +id < Number.MAX_SAFE_INTEGER ? +id : id))
    : [];
  const version_ = `${main.join(".")}${prerelease.length ? `-${prerelease.join(".")}` : ""}`;
  return { version: version_, main, prerelease };
}

// semver's compareIdentifiers: numbers below letters, numeric strings compared as numbers.
function compareIdentifiers(a: string | number, b: string | number): number {
  if (typeof a === "number" && typeof b === "number") return a === b ? 0 : a < b ? -1 : 1;
  const [aNum, bNum] = [NUMERIC.test(String(a)), NUMERIC.test(String(b))];
  const [x, y] = aNum && bNum ? [+a, +b] : [a, b];
  if (x === y) return 0;
  if (aNum && !bNum) return -1;
  if (bNum && !aNum) return 1;
  return x < y ? -1 : 1;
}

function comparePre(a: Parsed["prerelease"], b: Parsed["prerelease"]): number {
  // Having no prerelease ranks above having one.
  if (a.length === 0 || b.length === 0) return a.length === b.length ? 0 : a.length === 0 ? 1 : -1;
  for (let i = 0; ; i++) {
    const [x, y] = [a[i], b[i]];
    if (x === undefined && y === undefined) return 0;
    if (y === undefined) return 1;
    if (x === undefined) return -1;
    if (x !== y) return compareIdentifiers(x, y);
  }
}

function compare(left: string, right: string): number {
  const [a, b] = [parse(left), parse(right)];
  if (a.version === b.version) return 0;
  for (let i = 0; i < 3; i++) if (a.main[i] !== b.main[i]) return a.main[i]! < b.main[i]! ? -1 : 1;
  return comparePre(a.prerelease, b.prerelease);
}

function valid(version: unknown): string | null {
  try {
    return parse(version).version;
  } catch {
    return null;
  }
}

export default {
  valid,
  /** Throws a TypeError on an invalid version, as `semver.gt` does. */
  gt: (a: string, b: string) => compare(a, b) > 0,
  /** Throws a TypeError on an invalid version, as `semver.lt` does. */
  lt: (a: string, b: string) => compare(a, b) < 0,
};
