import { SandboxError } from "../contract";

/**
 * CloudFormation's error codes as the query protocol sends them (the SDK model's `awsQueryError`
 * names, which are not always the exception class names: `ChangeSetNotFound`, `InvalidChangeSetStatus`).
 */
export const validationError = (message: string) => new SandboxError("ValidationError", message, 400);
export const alreadyExists = (message: string) => new SandboxError("AlreadyExistsException", message, 400);
export const insufficientCapabilities = (capabilities: string[]) =>
  new SandboxError("InsufficientCapabilitiesException", `Requires capabilities : [${capabilities.join(", ")}]`, 400);
export const tokenAlreadyExists = (message: string) => new SandboxError("TokenAlreadyExistsException", message, 400);
export const changeSetNotFound = (name: string) =>
  new SandboxError("ChangeSetNotFound", `ChangeSet [${name}] does not exist`, 404);
export const invalidChangeSetStatus = (message: string) => new SandboxError("InvalidChangeSetStatus", message, 400);

/** A template problem found while evaluating it; callers decide whether it is a call error or a resource failure. */
export class TemplateError extends Error {}

/** A resource handler's failure: becomes the resource's `*_FAILED` event reason and fails the stack operation. */
export class ResourceFailure extends Error {
  constructor(
    message: string,
    /** Set when the failed resource still exists (a custom resource answered FAILED with an id) and needs a Delete on rollback. */
    readonly physicalId?: string,
  ) {
    super(message);
  }
}
