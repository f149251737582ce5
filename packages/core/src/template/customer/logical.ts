/** Logical ids shared by the template and its policies. */
export const LOGICAL = {
  boundary: "VendorPermissionsBoundary",
  integrationRole: "IntegrationRole",
  updateRole: "UpdateRole",
  serviceRole: "CloudFormationServiceRole",
  registrationRole: "RegistrationFunctionRole",
  registrationLogGroup: "RegistrationLogGroup",
  registrationFunction: "RegistrationFunction",
  registration: "Registration",
} as const;

export const CONDITIONS = {
  autoUpdate: "AutoUpdateEnabled",
  /** The customer named their own permissions boundary; the vendor boundary is then not created. */
  boundary: "HasPermissionsBoundary",
  vendorBoundary: "UsesVendorBoundary",
} as const;
