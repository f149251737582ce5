// Changelog accuracy on real vendor templates: every consecutive pair of versions of each
// template in bench/changelog-corpus.json, from the git history of the vendor's public repository.
// Facts come from an independent, deliberately naive reading (the set of Allow actions each role
// ends up with, whatever the conditions); the changelog must add and remove exactly those.
// Pure reformatting of every version (JSON <-> YAML, reversed key and statement order) is the
// negative control: its changelog must be empty.
//   npx tsx bench/changelog-corpus.ts [MIRRORS_DIR=/work/.mirror]
// MIRRORS_DIR holds one git directory per repository as `<owner>+<name>/repo` (or a bare clone
// at `<owner>+<name>`): `git clone --bare https://github.com/<owner>/<name> <owner>+<name>`.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { computeChangelog, computeChangelogFromBytes } from "@stackfleet/core/changelog";
import { parseTemplate, type Template } from "@stackfleet/core/template/parse";
import { stringify } from "yaml";

type Entry = { vendor: string; repo: string; path: string };
const corpus = JSON.parse(readFileSync(new URL("./changelog-corpus.json", import.meta.url), "utf8")) as {
  templates: Entry[];
};
const mirrors = process.argv[2] ?? "/work/.mirror";

function gitDir(repo: string): string | undefined {
  const base = join(mirrors, repo.replace("/", "+"));
  return [join(base, "repo"), base].find((d) => existsSync(join(d, "HEAD")));
}

const git = (dir: string, ...args: string[]) =>
  execFileSync("git", ["--git-dir", dir, ...args], { encoding: "utf8", maxBuffer: 64 << 20 });

/** Every distinct version of `path`, oldest first. */
function versions(dir: string, path: string): Array<{ commit: string; text: string }> {
  const commits = git(dir, "log", "--format=%H", "--reverse", "--", path).split("\n").filter(Boolean);
  const out: Array<{ commit: string; text: string }> = [];
  for (const commit of commits) {
    let text: string;
    try {
      text = git(dir, "show", `${commit}:${path}`);
    } catch {
      continue; // deleted in this commit
    }
    if (out.at(-1)?.text !== text) out.push({ commit, text });
  }
  return out;
}

// ---- the independent reading -------------------------------------------------------------
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

type Guarded<T> = { value: T; guard: string[] };

/** Both branches of an `Fn::If`, each under its condition (`C` or `!C`); anything else as is. */
function branches(v: unknown, guard: string[] = []): Guarded<unknown>[] {
  if (isObj(v) && Array.isArray(v["Fn::If"])) {
    const [c, yes, no] = v["Fn::If"] as [string, unknown, unknown];
    return [...branches(yes, [...guard, c]), ...branches(no, [...guard, `!${c}`])];
  }
  if (isObj(v) && v.Ref === "AWS::NoValue") return [];
  return [{ value: v, guard }];
}

/** Allow actions of a policy document, each with the template conditions it needs. */
function allowedActions(doc: unknown, guard: string[]): Guarded<string>[] {
  if (!isObj(doc)) return [];
  const list = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  return list
    .flatMap((s) => branches(s, guard))
    .flatMap(({ value: s, guard: g }) => {
      if (!isObj(s) || s.Effect !== "Allow" || s.Action === undefined) return [];
      const actions = Array.isArray(s.Action) ? s.Action : [s.Action];
      return actions
        .filter((a): a is string => typeof a === "string")
        .map((a) => ({ value: a.toLowerCase(), guard: g }));
    });
}

const roleRef = (r: unknown) =>
  isObj(r) && typeof r.Ref === "string" ? r.Ref : typeof r === "string" ? `role:${r}` : undefined;
const conditionOf = (r: { Condition?: string }) => (r.Condition ? [r.Condition] : []);

/**
 * role -> action -> the guards (sets of template conditions) under which the role holds it.
 * StackSet bodies' roles are named `<StackSet>/<Role>`.
 */
function facts(template: Template, prefix = ""): Map<string, Map<string, string[][]>> {
  const out = new Map<string, Map<string, string[][]>>();
  const add = (role: string, grants: Guarded<string>[]) => {
    const actions = out.get(prefix + role) ?? new Map<string, string[][]>();
    for (const { value, guard } of grants) actions.set(value, [...(actions.get(value) ?? []), guard]);
    out.set(prefix + role, actions);
  };
  const resources = template.Resources ?? {};
  for (const [id, r] of Object.entries(resources)) {
    const p = r.Properties ?? {};
    if (r.Type === "AWS::IAM::Role") {
      add(id, []);
      for (const { value: policy, guard } of (Array.isArray(p.Policies) ? p.Policies : []).flatMap((x) =>
        branches(x, conditionOf(r)),
      ))
        if (isObj(policy)) add(id, allowedActions(policy.PolicyDocument, guard));
      for (const { value: arn, guard } of (Array.isArray(p.ManagedPolicyArns) ? p.ManagedPolicyArns : []).flatMap((x) =>
        branches(x, conditionOf(r)),
      )) {
        const local = isObj(arn) && typeof arn.Ref === "string" ? resources[arn.Ref] : undefined;
        if (local?.Type === "AWS::IAM::ManagedPolicy")
          add(id, allowedActions(local.Properties?.PolicyDocument, [...guard, ...conditionOf(local)]));
      }
    }
    if (r.Type === "AWS::IAM::Policy" || r.Type === "AWS::IAM::ManagedPolicy") {
      for (const { value, guard } of (Array.isArray(p.Roles) ? p.Roles : []).flatMap((x) =>
        branches(x, conditionOf(r)),
      )) {
        const role = roleRef(value);
        const roleCondition = role && resources[role] ? conditionOf(resources[role]) : [];
        if (role) add(role, allowedActions(p.PolicyDocument, [...guard, ...roleCondition]));
      }
    }
    if (r.Type === "AWS::IAM::RolePolicy") {
      const role = roleRef(p.RoleName);
      const roleCondition = role && resources[role] ? conditionOf(resources[role]) : [];
      if (role) add(role, allowedActions(p.PolicyDocument, [...conditionOf(r), ...roleCondition]));
    }
    if (r.Type === "AWS::CloudFormation::StackSet" && typeof p.TemplateBody === "string") {
      try {
        for (const [k, v] of facts(parseTemplate(p.TemplateBody), `${id}/`)) out.set(k, v);
      } catch {}
    }
  }
  return out;
}

// ---- comparison ---------------------------------------------------------------------------
const minus = (a: Set<string>, b: Set<string>) => [...a].filter((x) => !b.has(x));
const key = (principal: string, action: string) => `${principal} ${action.toLowerCase()}`;

/** Whether `old` guards cover a grant under `guard`: some old guard needs no more than it does. */
const heldUnder = (old: string[][] | undefined, guard: string[]) =>
  (old ?? []).some((g) => g.every((c) => guard.includes(c)));

const guardKey = (guard: string[]) => [...new Set(guard)].sort().join("&");

/**
 * Per role and action: added when it is granted under conditions where it was not before and
 * nothing it had is lost; removed the other way round; a grant whose guard was replaced by
 * another (an `Fn::If` or `Condition` that moved) is a modification, neither.
 */
function expected(before: Template, after: Template) {
  const [was, is] = [facts(before), facts(after)];
  const added = new Set<string>();
  const removed = new Set<string>();
  for (const role of new Set([...was.keys(), ...is.keys()])) {
    const actions = new Set([...(was.get(role)?.keys() ?? []), ...(is.get(role)?.keys() ?? [])]);
    for (const action of actions) {
      const [old, next] = [was.get(role)?.get(action) ?? [], is.get(role)?.get(action) ?? []];
      const gained = next.some((g) => !heldUnder(old, g));
      const lost = old.some((g) => !heldUnder(next, g));
      // A guard that no longer exists as such was replaced (a move), unless nothing replaced it.
      const [oldKeys, nextKeys] = [new Set(old.map(guardKey)), new Set(next.map(guardKey))];
      const replaced = [...oldKeys].some((g) => !nextKeys.has(g)) && [...nextKeys].some((g) => !oldKeys.has(g));
      if (gained && !lost && !replaced) added.add(key(role, action));
      if (lost && !gained && !replaced) removed.add(key(role, action));
    }
  }
  return { added, removed };
}

const allowKeys = (entries: Array<{ principal: string; action: string; effect: string; notAction: boolean }>) =>
  new Set(entries.filter((e) => e.effect === "Allow" && !e.notAction).map((e) => key(e.principal, e.action)));
const sameSet = (a: Set<string>, b: Set<string>) => a.size === b.size && [...a].every((x) => b.has(x));

/** The same template, reformatted: YAML <-> JSON, every key order and statement list reversed. */
function reformatted(template: Template, asJson: boolean): string {
  const reverse = (v: unknown, parent?: string): unknown => {
    if (Array.isArray(v)) return (parent === "Statement" ? [...v].reverse() : v).map((x) => reverse(x));
    if (!isObj(v)) return v;
    return Object.fromEntries(
      Object.entries(v)
        .reverse()
        .map(([k, x]) => [k, reverse(x, k)]),
    );
  };
  const data = reverse(template);
  return asJson ? JSON.stringify(data) : stringify(data);
}

type Tally = { pairs: number; exact: number; skipped: number; controls: number; controlFailures: number };
const byVendor = new Map<string, Tally>();
const misses: string[] = [];
for (const entry of corpus.templates) {
  const dir = gitDir(entry.repo);
  const tally = byVendor.get(entry.vendor) ?? { pairs: 0, exact: 0, skipped: 0, controls: 0, controlFailures: 0 };
  byVendor.set(entry.vendor, tally);
  if (!dir) {
    console.error(`missing mirror for ${entry.repo} under ${mirrors}`);
    continue;
  }
  if (process.env.VERBOSE) console.error(`${entry.repo}:${entry.path}`);
  const parsed = versions(dir, entry.path).flatMap(({ commit, text }) => {
    try {
      return [{ commit, text, template: parseTemplate(text) }];
    } catch {
      tally.skipped++;
      return [];
    }
  });
  for (const v of parsed) {
    tally.controls++;
    if (process.env.VERBOSE) console.error("control", v.commit.slice(0, 8));
    const control = computeChangelogFromBytes(v.text, reformatted(v.template, !v.text.trimStart().startsWith("{")));
    if (control.summary.total !== 0) {
      tally.controlFailures++;
      misses.push(`control ${entry.repo}:${entry.path}@${v.commit.slice(0, 8)} total=${control.summary.total}`);
    }
  }
  for (let i = 1; i < parsed.length; i++) {
    const [before, after] = [parsed[i - 1]!, parsed[i]!];
    const changelog = computeChangelog(before.template, after.template);
    const want = expected(before.template, after.template);
    const got = { added: allowKeys(changelog.permissions.added), removed: allowKeys(changelog.permissions.removed) };
    tally.pairs++;
    if (sameSet(want.added, got.added) && sameSet(want.removed, got.removed)) tally.exact++;
    else
      misses.push(
        `${entry.repo}:${entry.path} ${before.commit.slice(0, 8)}..${after.commit.slice(0, 8)}` +
          ` +want-got=${minus(want.added, got.added).join(",")} +got-want=${minus(got.added, want.added).join(",")}` +
          ` -want-got=${minus(want.removed, got.removed).join(",")} -got-want=${minus(got.removed, want.removed).join(",")}`,
      );
  }
}

const total = [...byVendor.values()].reduce(
  (a, t) => ({
    pairs: a.pairs + t.pairs,
    exact: a.exact + t.exact,
    skipped: a.skipped + t.skipped,
    controls: a.controls + t.controls,
    controlFailures: a.controlFailures + t.controlFailures,
  }),
  { pairs: 0, exact: 0, skipped: 0, controls: 0, controlFailures: 0 },
);
console.log("vendor | pairs | exact on IAM actions | negative controls (non-empty) | unparseable versions");
for (const [vendor, t] of [...byVendor, ["all", total] as const])
  console.log(
    `${vendor} | ${t.pairs} | ${t.exact} (${t.pairs ? ((100 * t.exact) / t.pairs).toFixed(1) : "-"} %) | ${t.controls} (${t.controlFailures}) | ${t.skipped}`,
  );
if (process.env.VERBOSE) for (const m of misses) console.log(m);
