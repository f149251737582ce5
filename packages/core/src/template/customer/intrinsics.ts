/**
 * Long-form intrinsic functions as plain data, so the template is built as an ordinary object
 * that serialises to JSON as-is and to YAML with short-form tags (see ./render).
 */
export const ref = (name: string) => ({ Ref: name });
export const sub = (text: string) => ({ "Fn::Sub": text });
export const getAtt = (resource: string, attribute: string) => ({
  "Fn::GetAtt": [resource, attribute] as [string, string],
});
export const ifCondition = (condition: string, whenTrue: unknown, whenFalse: unknown) => ({
  "Fn::If": [condition, whenTrue, whenFalse] as [string, unknown, unknown],
});
export const equals = (a: unknown, b: unknown) => ({ "Fn::Equals": [a, b] as [unknown, unknown] });
export const not = (condition: unknown) => ({ "Fn::Not": [condition] as [unknown] });

/** `AWS::NoValue`: the property is removed when the `Fn::If` picks it. */
export const NO_VALUE = ref("AWS::NoValue");

/** An IAM ARN in the stack's own account and partition, e.g. `role/Acme-*`. */
export const ownIamArn = (resource: string) => sub(`arn:\${AWS::Partition}:iam::\${AWS::AccountId}:${resource}`);

/** A regional ARN in the stack's own account, Region and partition. */
export const ownArn = (service: string, resource: string) =>
  sub(`arn:\${AWS::Partition}:${service}:\${AWS::Region}:\${AWS::AccountId}:${resource}`);
