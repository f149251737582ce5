import { parseTemplate } from "@stackfleet/core/template/parse";
import { describe, expect, it } from "vitest";
import {
  evaluateConditions,
  NO_VALUE,
  type ResolveContext,
  resolve,
  Unresolved,
} from "../src/cloudformation/intrinsics";
import { resolveParameters } from "../src/cloudformation/parameters";

function context(overrides: Partial<ResolveContext> = {}): ResolveContext {
  return {
    parameters: { Env: "prod", Subnets: ["a", "b", "c"], Count: "3" },
    pseudo: { "AWS::Region": "eu-west-1", "AWS::AccountId": "123456789012", "AWS::Partition": "aws" },
    conditions: { IsProd: true, IsDev: false },
    mappings: { Regions: { "eu-west-1": { Ami: "ami-123" } } },
    region: "eu-west-1",
    ref: (id) => `${id}-physical`,
    getAtt: (id, attribute) => `${id}.${attribute}`,
    ...overrides,
  };
}

const yaml = (text: string) =>
  parseTemplate(`Resources:\n  R:\n    Type: X::Y::Z\n    Properties:\n${text}`).Resources.R!.Properties;

describe("CloudFormation intrinsic functions", () => {
  it("resolves short-form YAML functions the way CloudFormation does", () => {
    const properties = yaml(`
      Arn: !Sub "arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/\${Env}-\${Role.Arn}-\${!Literal}"
      Named: !Sub ["\${Prefix}-\${AWS::Region}", { Prefix: !Ref Env }]
      Joined: !Join [",", !Ref Subnets]
      Second: !Select [1, !Split [",", "x,y,z"]]
      Ami: !FindInMap [Regions, !Ref AWS::Region, Ami]
      Encoded: !Base64 hello
      Zones: !GetAZs ""
      Chosen: !If [IsProd, big, small]
      Dropped: !If [IsDev, kept, !Ref AWS::NoValue]
      List: [a, !If [IsDev, b, !Ref AWS::NoValue], c]
      Res: !Ref Bucket
`);
    expect(resolve(properties, context())).toEqual({
      Arn: "arn:aws:iam::123456789012:role/prod-Role.Arn-${Literal}",
      Named: "prod-eu-west-1",
      Joined: "a,b,c",
      Second: "y",
      Ami: "ami-123",
      Encoded: "aGVsbG8=",
      Zones: ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
      Chosen: "big",
      List: ["a", "c"],
      Res: "Bucket-physical",
    });
  });

  it("propagates values only known after apply through string functions", () => {
    const ctx = context({ getAtt: (id, attribute) => new Unresolved(`${id}.${attribute}`) });
    expect(resolve({ "Fn::Sub": "x-${Role.Arn}" }, ctx)).toBeInstanceOf(Unresolved);
    expect(resolve({ "Fn::Join": ["", ["a", { "Fn::GetAtt": ["Role", "Arn"] }]] }, ctx)).toBeInstanceOf(Unresolved);
    expect(resolve({ Ref: "AWS::NoValue" }, ctx)).toBe(NO_VALUE);
  });

  it("evaluates conditions in dependency order and rejects unknown ones", () => {
    const conditions = {
      IsProd: { "Fn::Equals": [{ Ref: "Env" }, "prod"] },
      ThreeOf: { "Fn::Equals": [{ Ref: "Count" }, 3] },
      Both: { "Fn::And": [{ Condition: "IsProd" }, { "Fn::Not": [{ Condition: "ThreeOf" }] }] },
      Either: { "Fn::Or": [{ Condition: "Both" }, { Condition: "IsProd" }] },
    };
    expect(evaluateConditions(conditions, context())).toEqual({
      IsProd: true,
      ThreeOf: true,
      Both: false,
      Either: true,
    });
    expect(() => resolve({ "Fn::If": ["Missing", 1, 2] }, context())).toThrow(
      "unresolved condition dependency Missing",
    );
    expect(() => resolve({ "Fn::Select": [5, ["a"]] }, context())).toThrow(
      "Fn::Select cannot select nonexistent value at index 5",
    );
  });
});

describe("CloudFormation parameters", () => {
  const template = parseTemplate(`
Parameters:
  Size: { Type: Number, MinValue: 1, MaxValue: 10, Default: 2 }
  Name: { Type: String, AllowedPattern: "[a-z]+", ConstraintDescription: lowercase letters only }
  Ids: { Type: "List<AWS::EC2::Subnet::Id>" }
Resources:
  R: { Type: X::Y::Z }
`);

  it("applies defaults, previous values and constraints", () => {
    expect(
      resolveParameters(template, [
        { ParameterKey: "Name", ParameterValue: "abc" },
        { ParameterKey: "Ids", ParameterValue: "s-1,s-2" },
      ]),
    ).toEqual({ Size: "2", Name: "abc", Ids: "s-1,s-2" });
    expect(
      resolveParameters(
        template,
        [
          { ParameterKey: "Name", UsePreviousValue: true },
          { ParameterKey: "Ids", ParameterValue: "s-1" },
        ],
        { Name: "old", Size: "5" },
      ),
    ).toEqual({ Size: "2", Name: "old", Ids: "s-1" });
    expect(() =>
      resolveParameters(template, [
        { ParameterKey: "Name", ParameterValue: "ABC" },
        { ParameterKey: "Ids", ParameterValue: "s" },
      ]),
    ).toThrow("Parameter 'Name' failed to satisfy constraint: lowercase letters only");
    expect(() =>
      resolveParameters(template, [
        { ParameterKey: "Size", ParameterValue: "11" },
        { ParameterKey: "Name", ParameterValue: "a" },
        { ParameterKey: "Ids", ParameterValue: "s" },
      ]),
    ).toThrow("Parameter 'Size' must be a number not greater than 10");
    expect(() =>
      resolveParameters(template, [
        { ParameterKey: "Size", ParameterValue: "ten" },
        { ParameterKey: "Name", ParameterValue: "a" },
        { ParameterKey: "Ids", ParameterValue: "s" },
      ]),
    ).toThrow("Parameter 'Size' must be a number.");
    expect(() => resolveParameters(template, [])).toThrow("Parameters: [Name, Ids] must have values");
  });
});
