import { randomBytes } from "node:crypto";

export const ID_PREFIXES = {
  tenant: "ten",
  integration: "int",
  run: "run",
  event: "evt",
} as const;
export type IdKind = keyof typeof ID_PREFIXES;

export type NewId = (kind: IdKind) => string;

/**
 * ULIDs as the `ulid` package's `monotonicFactory` makes them, written out: the package is ~2.6 KiB
 * of the executor's Lambda bundle, which has a 300 KiB budget (test/bundle.test.ts);
 * packages/core/test/id.test.ts checks the two give the same ids from the same random source.
 */
const ENCODING = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"; // Crockford's base32
const TIME_MAX = 2 ** 48 - 1;

/** A random fraction in [0, 1) from one random byte, as the package draws each character. */
export type Prng = () => number;
const cryptoPrng: Prng = () => randomBytes(1)[0]! / 256;

function encodeTime(ms: number): string {
  if (!Number.isInteger(ms) || ms < 0 || ms > TIME_MAX) throw new Error(`Cannot encode ${ms} as a ULID time`);
  let [rest, out] = [ms, ""];
  for (let i = 0; i < 10; i++) {
    out = ENCODING[rest % 32] + out;
    rest = Math.floor(rest / 32);
  }
  return out;
}

const encodeRandom = (prng: Prng) => {
  let out = "";
  for (let i = 0; i < 16; i++) out = ENCODING[Math.floor(prng() * 32) % 32] + out;
  return out;
};

// The random part plus one, in base32; all Zs cannot be incremented (the package throws too).
function increment(random: string): string {
  const digits = [...random];
  for (let i = digits.length - 1; i >= 0; i--) {
    const next = ENCODING.indexOf(digits[i]!) + 1;
    if (next < 32) {
      digits[i] = ENCODING[next]!;
      return digits.join("");
    }
    digits[i] = ENCODING[0]!;
  }
  throw new Error("Failed incrementing a ULID's random part");
}

/**
 * Monotonic ULIDs: a later time gets a fresh random part; the same or an earlier time (a clock set
 * back) keeps the last time and increments the last random part, so ids never go backwards.
 */
export function monotonicUlid(prng: Prng = cryptoPrng): (seedTime?: number) => string {
  let [lastTime, lastRandom] = [0, ""];
  return (seedTime) => {
    const seed = !seedTime || Number.isNaN(seedTime) ? Date.now() : seedTime;
    if (seed <= lastTime) {
      lastRandom = increment(lastRandom);
      return encodeTime(lastTime) + lastRandom;
    }
    [lastTime, lastRandom] = [seed, encodeRandom(prng)];
    return encodeTime(seed) + lastRandom;
  };
}

/** Prefixed ULIDs (`int_01J…`): sortable by creation time, typed at a glance. */
export function ulidIds(now: () => Date = () => new Date()): NewId {
  const next = monotonicUlid();
  return (kind) => `${ID_PREFIXES[kind]}_${next(now().getTime())}`;
}
