import gt from "semver/functions/gt";
import lt from "semver/functions/lt";
import valid from "semver/functions/valid";
import { describe, expect, it } from "vitest";
import semver from "../src/version/semver";

const EDGES = [
  "1.2.3",
  "v1.2.3",
  "=1.2.3",
  " 1.2.3 ",
  "\t1.2.3\n",
  "V1.2.3",
  "01.2.3",
  "1.02.3",
  "1.2",
  "1.2.3.4",
  "0.0.0",
  "1.2.3-0",
  "1.2.3-00",
  "1.2.3-01",
  "1.2.3-0a",
  "1.2.3-a.1",
  "1.2.3-a.b.c",
  "1.2.3--",
  "1.2.3-",
  "1.2.3+",
  "1.2.3+build.01",
  "1.2.3-rc.1+build",
  "1.2.3+-",
  "1.2.3-alpha_1",
  "9007199254740991.0.0",
  "9007199254740992.0.0",
  "0.9007199254740992.0",
  "0.0.9007199254740993",
  "1.0.0-9007199254740990",
  "1.0.0-9007199254740991",
  "1.0.0-9007199254740992",
  "1.0.0-99999999999999999999",
  `1.0.0-${"a".repeat(250)}`,
  `1.0.0-${"a".repeat(251)}`,
  `1.0.0+${"b".repeat(250)}`,
  `1.0.0+${"b".repeat(251)}`,
  "",
  "x",
  "1.2.3 4",
];

// A small deterministic generator of version-like strings, mostly well-formed, some a little off.
function* generated(count: number) {
  let seed = 42;
  const pick = <T>(from: readonly T[]) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return from[seed % from.length]!;
  };
  const numbers = ["0", "1", "2", "3", "10", "11", "9007199254740991", "01", "9007199254740992"];
  const ids = ["0", "1", "2", "11", "alpha", "beta", "rc", "x1", "1a", "-", "01", "9007199254740992", ""];
  const list = () => Array.from({ length: 1 + Number(pick(["0", "1", "2"])) }, () => pick(ids)).join(".");
  for (let i = 0; i < count; i++) {
    const main = [pick(numbers), pick(numbers), pick(numbers)].join(".");
    yield `${pick(["", "", "", "v", "=", " "])}${main}${pick(["", "", `-${list()}`])}${pick(["", "", `+${list()}`])}`;
  }
}

const outcome = (f: () => unknown) => {
  try {
    return { value: f() };
  } catch (e) {
    return { threw: `${(e as Error).constructor.name}: ${(e as Error).message}` };
  }
};

describe("core's semver functions", () => {
  const versions = [...EDGES, ...generated(3000)];
  const accepted = versions.filter((v) => valid(v) !== null);

  it("accept and normalise exactly what the semver package does", () => {
    for (const v of versions) expect(semver.valid(v), JSON.stringify(v)).toBe(valid(v));
    for (const v of [undefined, null, 1, {}]) expect(semver.valid(v)).toBe(valid(v as string));
    expect(accepted.length).toBeGreaterThan(300);
  });

  it("order versions exactly as the semver package, and throw where it throws", () => {
    const some = [...accepted.slice(0, 150), ...EDGES];
    for (const a of some)
      for (const b of some) {
        expect(
          outcome(() => semver.gt(a, b)),
          `gt ${a} ${b}`,
        ).toEqual(outcome(() => gt(a, b)));
        expect(
          outcome(() => semver.lt(a, b)),
          `lt ${a} ${b}`,
        ).toEqual(outcome(() => lt(a, b)));
      }
  });

  it("ranks prereleases as semver.org says", () => {
    const ranked = [
      "1.0.0-alpha",
      "1.0.0-alpha.1",
      "1.0.0-alpha.beta",
      "1.0.0-beta",
      "1.0.0-beta.2",
      "1.0.0-beta.11",
      "1.0.0-rc.1",
      "1.0.0",
    ];
    for (let i = 1; i < ranked.length; i++) expect(semver.lt(ranked[i - 1]!, ranked[i]!)).toBe(true);
    expect(semver.gt("1.0.0+a", "1.0.0+b")).toBe(false);
  });
});
