// What ElectroDB's model validation costs a cold start: building the service (12 entities) in a
// fresh process with ElectroDB's jsonschema, then with the executor's subset (infra/jsonschema-subset.ts),
// alternating `runs` times; reports the median of the first build (a cold start's) and of later ones.
//   npx tsx bench/electrodb-models.ts [runs=15]
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";

const mode = process.argv[2];
if (mode === "real" || mode === "subset") {
  const require = createRequire(import.meta.url);
  if (mode === "subset") {
    const path = require.resolve("jsonschema", { paths: [require.resolve("electrodb")] });
    require.cache[path] = { id: path, loaded: true, exports: await import("../infra/jsonschema-subset") } as NodeModule;
  }
  const { DynamoDBClient } = await import("@aws-sdk/client-dynamodb");
  const { DynamoDBDocumentClient } = await import("@aws-sdk/lib-dynamodb");
  const { createService } = await import("../packages/core/src/db/service");
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: "us-east-1" }));
  let t = performance.now();
  createService(client, "bench");
  const firstMs = performance.now() - t;
  t = performance.now();
  for (let i = 0; i < 20; i++) createService(client, "bench");
  console.log(JSON.stringify({ firstMs, laterMs: (performance.now() - t) / 20 }));
} else {
  const runs = Number(mode ?? 15);
  const samples: Record<string, { firstMs: number; laterMs: number }[]> = { real: [], subset: [] };
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
    laterMs: median((samples[variant] ?? []).map((s) => s.laterMs)),
  });
  console.log(JSON.stringify({ runs, jsonschema: report("real"), subset: report("subset") }, null, 2));
}
