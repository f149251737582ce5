import { updaterCoordinates } from "./config";
import { executorTemplateActions } from "./policy";

const updater = updaterCoordinates();

/**
 * Template bodies stored under their sha256, so a key never changes meaning; versioning keeps an
 * overwritten or deleted object recoverable anyway. Private (SST's default) and HTTPS-only.
 * The executor role is named here too because an updater in another account needs the bucket's
 * consent as well as its own policy.
 */
export const templates = new sst.aws.Bucket("Templates", {
  versioning: true,
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
 * `<base>/<sha256>`, matching the API's store (`templates/<sha256>`). The bucket is private, so a
 * customer's CloudFormation can read such a URL only when it is presigned.
 */
export const templatesUrl = $interpolate`https://${templates.nodes.bucket.bucketRegionalDomainName}/templates`;
