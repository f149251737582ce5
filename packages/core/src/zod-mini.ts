/**
 * zod's tree-shakable "mini" API, with English messages, for the schemas the executor's Lambda
 * loads: classic zod puts ~100 KiB into that bundle (every schema gets all its methods), mini
 * ~37 KiB, and the bundle has a 300 KiB budget (test/bundle.test.ts). Both build on zod's core,
 * so a mini schema parses and words its issues exactly as the classic one written the same way.
 *
 * Classic zod installs English when it builds its first schema; mini installs no locale at all
 * (issues would say only "Invalid input"), hence the `config` here. Import it as
 * `import * as z from "../zod-mini"` (a namespace, so esbuild keeps only what is used), never
 * "zod/mini" directly, so that no mini schema can be built before English is installed.
 */

import { config, ZodMiniISODateTime, ZodMiniNumber } from "zod/mini";
import { _coercedNumber, _isoDateTime } from "zod/v4/core";
import en from "zod/v4/locales/en.js";

config(en());

export * from "zod/mini";

/**
 * `z.coerce.number()` and `z.iso.datetime()`, built exactly as zod builds them. Reached through
 * the `coerce` and `iso` namespaces, they keep every function of those namespaces (and their
 * patterns) in the bundle: ~1.5 KiB.
 */
export const coercedNumber = () => _coercedNumber(ZodMiniNumber, undefined);
export const isoDateTime = () => _isoDateTime(ZodMiniISODateTime, undefined);
