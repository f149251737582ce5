import { updaterCoordinates } from "./config";
import { executorTemplateActions } from "./policy";

const updater = updaterCoordinates();

/**
 * Template bodies stored under their sha256, so a key never changes meaning; versioning keeps an
 * overwritten or deleted object recoverable anyway. Publicly READABLE: a published template is
 * what every customer installs (no secret in it), and the console's quick-create link makes the
 * customer's CloudFormation fetch it by URL. Only the API's role may write; integrity does not
 * rest on the bucket anyway — the executor sends bytes it verified against a signed manifest.
 * The executor role is named here too because an updater in another account needs the bucket's
 * consent as well as its own policy.
 */
export const templates = new sst.aws.Bucket("Templates", {
  versioning: true,
  access: "public",
  policy: updater
    ? [
        {
          principals: [{ type: "aws", identifiers: [updater.executorRoleArn] }],
          actions: executorTemplateActions,
          paths: ["*"],
        },
      ]
    : undefined,
});

/**
 * `STACKFLEET_TEMPLATE_BASE_URL`: the https S3 location CloudFormation is given for a template,
 * `<base>/<sha256>`, matching the API's store (`templates/<sha256>`), readable by anyone.
 */
export const templatesUrl = $interpolate`https://${templates.nodes.bucket.bucketRegionalDomainName}/templates`;
