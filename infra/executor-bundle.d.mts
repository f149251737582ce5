import type { BuildOptions, Plugin } from "esbuild";

export declare const jsonschemaSubset: Plugin;
declare const plugins: Plugin[];
export default plugins;
export declare const executorNodejs: {
  format: "cjs";
  minify: boolean;
  esbuild: { external: string[] };
  plugins: string;
};
export declare function executorBuildOptions(entry: string): BuildOptions & { entryPoints: string[] };
