/**
 * The customer integration template (the stack a vendor's customer installs): generated from the
 * vendor's configuration, rendered to YAML or JSON, linked from the console's quick-create page.
 */

export { vendorBoundary } from "./boundary";
export { buildCustomerTemplate, CONDITIONS, CUSTOMER_TEMPLATE_CAPABILITIES } from "./build";
export {
  type CustomerTemplateConfig,
  type CustomerTemplateConfigInput,
  customerTemplateConfigSchema,
  type PolicyStatement,
  parseCustomerTemplateConfig,
  policyStatementSchema,
} from "./config";
export { boundaryPolicyName, isPrefixedStackName, registrationFunctionName, roleNames, stackNameFor } from "./names";
export { LOGICAL } from "./policies";
export { type QuickCreateInput, quickCreateUrl } from "./quick-create";
export { REGISTRATION_HANDLER_SOURCE } from "./registration-handler";
export { renderCustomerTemplate, serializeTemplate, TEMPLATE_BODY_LIMIT } from "./render";
