// What ElectroDB's model validation costs a cold start: building the service (12 entities) in a
// fresh process with ElectroDB's jsonschema, then with the executor's subset (infra/jsonschema-subset.ts),
// alternating `runs` times; reports the median of the first build (a cold start's), of the time spent
// in the validator during it, and of later builds.
//   npx tsx bench/electrodb-models.ts [runs=15]
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";

const mode = process.argv[2];
if (mode === "real" || mode === "subset") {
  const require = createRequire(import.meta.url);
  const path = require.resolve("jsonschema", { paths: [require.resolve("electrodb")] });
  if (mode === "subset")
    require.cache[path] = { id: path, loaded: true, exports: await import("../infra/jsonschema-subset") } as NodeModule;
  // Time inside the validator, whichever it is.
  const { Validator } = require(path) as { Validator: { prototype: { validate: (...a: unknown[]) => unknown } } };
  const validate = Validator.prototype.validate;
  let validateMs = 0;
  Validator.prototype.validate = function (this: unknown, ...args: unknown[]) {
    const start = performance.now();
    try {
      return validate.apply(this, args);
    } finally {
      validateMs += performance.now() - start;
    }
  };
  const { DynamoDBClient } = await import("@aws-sdk/client-dynamodb");
  const { DynamoDBDocumentClient } = await import("@aws-sdk/lib-dynamodb");
  const { createService } = await import("../packages/core/src/db/service");
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: "us-east-1" }));
  let t = performance.now();
  createService(client, "bench");
  const firstMs = performance.now() - t;
  const firstValidateMs = validateMs;
  t = performance.now();
  for (let i = 0; i < 20; i++) createService(client, "bench");
  console.log(JSON.stringify({ firstMs, firstValidateMs, laterMs: (performance.now() - t) / 20 }));
} else {
  const runs = Number(mode ?? 15);
  const samples: Record<string, { firstMs: number; firstValidateMs: number; laterMs: number }[]> = {
    real: [],
    subset: [],
  };
  for (let i = 0; i < runs; i++)
    for (const variant of ["real", "subset"]) {
      const child = spawnSync(process.execPath, ["--import", "tsx", import.meta.filename, variant], {
        encoding: "utf8",
      });
      if (child.status !== 0) throw new Error(child.stderr);
      samples[variant]?.push(JSON.parse(child.stdout.trim().split("\n").at(-1) ?? ""));
    }
  const median = (values: number[]) => +[...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!.toFixed(1);
  const report = (variant: string) => ({
    firstMs: median((samples[variant] ?? []).map((s) => s.firstMs)),
    firstValidateMs: median((samples[variant] ?? []).map((s) => s.firstValidateMs)),
    laterMs: median((samples[variant] ?? []).map((s) => s.laterMs)),
  });
  console.log(JSON.stringify({ runs, jsonschema: report("real"), subset: report("subset") }, null, 2));
}
