import { partition, physicalName } from "../ids";
import type { ResourceProvider } from "./provider";

interface Shape {
  nameProperty?: string;
  maxLength?: number;
  lowercase?: boolean;
  replacement: string[];
  /** Physical id from the name (default: the name itself). */
  physicalId?: (name: string, at: Where) => string;
  attributes?: (name: string, at: Where) => Record<string, unknown>;
}

interface Where {
  accountId: string;
  region: string;
}

const arn = (service: string, at: Where, resource: string) =>
  `arn:${partition(at.region)}:${service}:${at.region}:${at.accountId}:${resource}`;

// Types the integration templates use, with the identifiers and attributes CloudFormation reports for them.
const SHAPES: Record<string, Shape> = {
  "AWS::Lambda::Function": {
    nameProperty: "FunctionName",
    replacement: ["FunctionName"],
    attributes: (name, at) => ({ Arn: arn("lambda", at, `function:${name}`) }),
  },
  "AWS::SNS::Topic": {
    nameProperty: "TopicName",
    maxLength: 256,
    replacement: ["TopicName", "FifoTopic"],
    physicalId: (name, at) => arn("sns", at, name),
    attributes: (name, at) => ({ TopicArn: arn("sns", at, name), TopicName: name }),
  },
  "AWS::SQS::Queue": {
    nameProperty: "QueueName",
    maxLength: 80,
    replacement: ["QueueName", "FifoQueue"],
    physicalId: (name, at) => `https://sqs.${at.region}.amazonaws.com/${at.accountId}/${name}`,
    attributes: (name, at) => ({
      Arn: arn("sqs", at, name),
      QueueName: name,
      QueueUrl: `https://sqs.${at.region}.amazonaws.com/${at.accountId}/${name}`,
    }),
  },
  "AWS::Events::Rule": {
    nameProperty: "Name",
    replacement: ["Name", "EventBusName"],
    attributes: (name, at) => ({ Arn: arn("events", at, `rule/${name}`) }),
  },
  "AWS::S3::Bucket": {
    nameProperty: "BucketName",
    maxLength: 63,
    lowercase: true,
    replacement: ["BucketName"],
    attributes: (name, at) => ({
      Arn: `arn:${partition(at.region)}:s3:::${name}`,
      DomainName: `${name}.s3.amazonaws.com`,
      RegionalDomainName: `${name}.s3.${at.region}.amazonaws.com`,
    }),
  },
  "AWS::Logs::LogGroup": {
    nameProperty: "LogGroupName",
    maxLength: 512,
    replacement: ["LogGroupName"],
    attributes: (name, at) => ({ Arn: arn("logs", at, `log-group:${name}:*`) }),
  },
};

/**
 * Every other resource type: recorded with a generated physical id and the attributes CloudFormation
 * would report, but nothing behind it (the sandbox simulates IAM only).
 */
export function genericProvider(type: string): ResourceProvider {
  const shape: Shape = SHAPES[type] ?? { replacement: [] };
  const provider: ResourceProvider = {
    replacementProperties: shape.replacement,
    async create(ctx, properties) {
      const given = shape.nameProperty ? properties[shape.nameProperty] : undefined;
      const name =
        typeof given === "string"
          ? given
          : physicalName(ctx.stackName, ctx.logicalId, shape.maxLength ?? 64, shape.lowercase);
      return { physicalId: shape.physicalId?.(name, ctx) ?? name, attributes: shape.attributes?.(name, ctx) ?? {} };
    },
    async update(_ctx, current) {
      return { physicalId: current.physicalId, attributes: current.attributes };
    },
    async delete() {},
    attribute(record, attribute, at) {
      // Unknown types still answer GetAtt so templates using them evaluate; an Arn looks like one.
      if (attribute === "Arn") {
        const [, service = "unknown", kind = "resource"] = type.split("::");
        return arn(service.toLowerCase(), at, `${kind.toLowerCase()}/${record.physicalId}`);
      }
      return `${record.physicalId}.${attribute}`;
    },
  };
  if (shape.nameProperty) return { ...provider, nameProperty: shape.nameProperty };
  return provider;
}
