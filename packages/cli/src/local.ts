import { resolve } from "node:path";

/** The local runtime's data dir (dev keys live there): flag, then STACKFLEET_DATA_DIR, then the default `npm start` uses. */
export const localDataDir = (flag?: string) => resolve(flag ?? process.env.STACKFLEET_DATA_DIR ?? ".stackfleet/data");
