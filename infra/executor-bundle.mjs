/**
 * How the executor's Lambda is bundled, in one place: infra/updater.ts hands `executorNodejs` to
 * SST, and bench/cold-import.ts and test/bundle.test.ts build with `executorBuildOptions`, which is
 * `executorNodejs` plus what SST's builder adds on deploy. Plain JavaScript: SST loads this file's
 * default export (its esbuild plugins) with bare `node`.
 */
import { fileURLToPath } from "node:url";

/**
 * ElectroDB's `jsonschema` (28 KiB) only checks ElectroDB's own model schemas; the executor gets
 * the subset those schemas use (infra/jsonschema-subset.ts explains the trade-off).
 *
 * The filter is broad on purpose: SST 4.17's plugin bridge (.sst/platform/functions/nodejs-runtime/
 * plugin.mjs) tests a plugin's filter against the message rather than the import path, so a
 * `^jsonschema$` filter would never match there. The callback checks the path itself.
 */
export const jsonschemaSubset = {
  name: "stackfleet-jsonschema-subset",
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) =>
      args.path === "jsonschema"
        ? { path: fileURLToPath(new URL("./jsonschema-subset.ts", import.meta.url)) }
        : undefined,
    );
  },
};

export default [jsonschemaSubset];

/** The executor's `nodejs` options for sst.aws.Function. */
export const executorNodejs = {
  // CommonJS: the runtime then `require`s the SDK's CommonJS build. Imported from an ES module,
  // node's ESM loader lexes it for named exports first: the cold import took about a third longer
  // (bench/cold-import.ts, BENCHMARKS.md "Executor"). Our code and zod stay ES modules, so esbuild
  // still tree-shakes them; the bundle's size is the same.
  format: "cjs",
  minify: true,
  // The Lambda runtime provides the AWS SDK v3: bundling it would add megabytes and a second copy.
  esbuild: { external: ["@aws-sdk/*"] },
  // Relative to the project root, where SST runs.
  plugins: "infra/executor-bundle.mjs",
};

/**
 * esbuild options equal to the deployed build of `executorNodejs`: SST's builder
 * (sst/sst pkg/runtime/node/build.go, 4.x) fixes everything but `external`, `minify`, `format`,
 * `banner` and `plugins` — notably `keepNames` (about 18 KiB here), and for CommonJS `mainFields`
 * and no banner of its own.
 */
export function executorBuildOptions(entry) {
  return {
    entryPoints: [entry],
    platform: "node",
    bundle: true,
    format: executorNodejs.format,
    target: "esnext",
    mainFields: ["main"],
    keepNames: true,
    minifyWhitespace: executorNodejs.minify,
    minifySyntax: executorNodejs.minify,
    minifyIdentifiers: executorNodejs.minify,
    external: ["sharp", "pg-native", ...executorNodejs.esbuild.external],
    plugins: [jsonschemaSubset],
  };
}
