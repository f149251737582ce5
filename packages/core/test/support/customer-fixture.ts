import type { CustomerTemplateConfigInput } from "../../src/template/customer/config";

/** A vendor ("Acme") as the customer-template tests see it. TEST SUPPORT ONLY. */
export const VENDOR_ACCOUNT = "111111111111";
export const UPDATER_ACCOUNT = "222222222222";
export const CUSTOMER_ACCOUNT = "333333333333";
export const REGION = "eu-west-1";
export const EXTERNAL_ID = "int_01JDEMO0000000000000000000";

export const acmeConfig: CustomerTemplateConfigInput = {
  vendorName: "Acme Security",
  product: "acme-audit",
  stackPrefix: "Acme",
  vendorAccountId: VENDOR_ACCOUNT,
  updaterAccountId: UPDATER_ACCOUNT,
  executorRoleName: "stackfleet-executor",
  callbackUrl: "https://api.acme.example/v1/registrations",
  productPolicy: {
    managedPolicyArns: ["arn:aws:iam::aws:policy/SecurityAudit"],
    statements: [{ Sid: "ReadBucketPolicies", Effect: "Allow", Action: ["s3:GetBucketPolicy"], Resource: "*" }],
  },
  templateVersion: "1.0.0",
};
