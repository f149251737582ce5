import gt from "semver/functions/gt";
import lt from "semver/functions/lt";
import valid from "semver/functions/valid";

/**
 * The semver functions core uses, each from its own module: `semver`'s index loads all of it
 * (ranges, coercion, the CLI's helpers) into every Lambda bundle that compares a version.
 */
export default { gt, lt, valid };
