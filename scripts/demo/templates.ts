import semver from "semver";
import { type Document, parseDocument, Scalar } from "yaml";

/**
 * What a vendor does between two releases, done to the text of the previous version's template:
 * bump its version marker (where the stack reports its version) and make the change.
 */
export function nextTemplate(previous: string, from: string, to: string, change: (doc: Document) => void): string {
  const doc = parseDocument(previous);
  // CloudFormation's short-form tags (!Ref, !Sub, …) are kept as they are; only real errors count.
  if (doc.errors.length > 0) throw new Error(`the ${from} template is not YAML: ${doc.errors[0]!.message}`);
  setVersionMarkers(doc, from, to);
  change(doc);
  return doc.toString({ lineWidth: 0 });
}

function setVersionMarkers(doc: Document, from: string, to: string): void {
  if (doc.hasIn(["Outputs", "TemplateVersion", "Value"])) doc.setIn(["Outputs", "TemplateVersion", "Value"], to);
  const resources = doc.getIn(["Resources"]) as { items?: Array<{ key: unknown }> } | undefined;
  for (const item of resources?.items ?? []) {
    const path = ["Resources", String(item.key), "Properties", "TemplateVersion"];
    if (doc.hasIn(path)) doc.setIn(path, to);
  }
  const description = doc.get("Description");
  if (typeof description === "string")
    doc.set("Description", description.replace(`template ${from}`, `template ${to}`));
}

/** One new IAM permission for the product's integration role: the change customers must review. */
export function addPermission(action: string): (doc: Document) => void {
  return (doc) => {
    const path = ["Resources", "IntegrationRole", "Properties", "Policies"];
    const policies = doc.getIn(path) as { items?: unknown[] } | undefined;
    const policy = doc.createNode({
      PolicyName: "Product",
      PolicyDocument: {
        Version: quoted("2012-10-17"),
        Statement: [{ Sid: "DemoAddedRead", Effect: "Allow", Action: [action], Resource: "*" }],
      },
    });
    if (policies?.items) policies.items.push(policy);
    else doc.setIn(path, doc.createNode([policy]));
  };
}

/** A change that touches no permission: the integration role's description. */
export function describeRole(text: string): (doc: Document) => void {
  return (doc) => doc.setIn(["Resources", "IntegrationRole", "Properties", "Description"], text);
}

/** The next minor versions after `latest`: 1.0.0 → 1.1.0, 1.2.0, 1.3.0. */
export function nextVersions(latest: string, count: number): string[] {
  const versions: string[] = [];
  let at = latest;
  for (let i = 0; i < count; i++) versions.push((at = semver.inc(at, "minor")!));
  return versions;
}

function quoted(value: string): Scalar {
  const scalar = new Scalar(value);
  scalar.type = "QUOTE_DOUBLE";
  return scalar;
}
