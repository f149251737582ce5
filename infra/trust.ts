import { permanent } from "./config";

/**
 * Who may assume a function's role. SST's `sst.aws.Function` gives every role a trust that also
 * admits the account root (its `!dev` test is on an Output, so it never takes the Lambda-only
 * branch), and `sst dev` needs that root trust for the live bridge. Here: Lambda only, except
 * while a personal stage runs under `sst dev`; a permanent stage never has it, whatever command ran.
 */
export const lambdaOnlyTrust = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", Principal: { Service: "lambda.amazonaws.com" } }],
});

/** Whether functions may run live on the developer's machine in this stage (`sst dev`). */
export const liveAllowed = !permanent;

/** For a function's `transform.role`. */
export function restrictTrust(args: aws.iam.RoleArgs): void {
  if (!(liveAllowed && $dev)) args.assumeRolePolicy = lambdaOnlyTrust;
}
