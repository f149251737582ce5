import type { ManagedPolicy } from "../contract";

/**
 * The few AWS-managed policies templates and tests refer to, defined locally. ReadOnlyAccess is
 * approximated by the read verbs AWS's own policy grants (it lists hundreds of actions).
 */
export const AWS_MANAGED_POLICIES: ManagedPolicy[] = [
  {
    arn: "arn:aws:iam::aws:policy/AdministratorAccess",
    document: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] },
  },
  {
    arn: "arn:aws:iam::aws:policy/ReadOnlyAccess",
    document: {
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Action: ["*:Describe*", "*:Get*", "*:List*", "*:BatchGet*", "*:Query", "*:Scan"],
          Resource: "*",
        },
      ],
    },
  },
  {
    arn: "arn:aws:iam::aws:policy/SecurityAudit",
    document: {
      Version: "2012-10-17",
      // The read-only subset the sandbox serves; IAM refuses a wildcard service prefix ("*:Describe*").
      Statement: [
        {
          Effect: "Allow",
          Action: ["cloudformation:Describe*", "cloudformation:Get*", "cloudformation:List*", "iam:Get*", "iam:List*"],
          Resource: "*",
        },
      ],
    },
  },
  {
    arn: "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    document: {
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Action: ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
          Resource: "*",
        },
      ],
    },
  },
];
