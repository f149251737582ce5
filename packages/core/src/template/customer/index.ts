/**
 * The customer integration template (the stack a vendor's customer installs): generated from the
 * vendor's configuration, rendered to YAML or JSON, linked from the console's quick-create page.
 */
export { buildCustomerTemplate, CUSTOMER_TEMPLATE_CAPABILITIES, CONDITIONS } from "./build";
export {
  customerTemplateConfigSchema,
  parseCustomerTemplateConfig,
  policyStatementSchema,
  type CustomerTemplateConfig,
  type CustomerTemplateConfigInput,
  type PolicyStatement,
} from "./config";
export { isPrefixedStackName, registrationFunctionName, roleNames, stackNameFor } from "./names";
export { LOGICAL } from "./policies";
export { quickCreateUrl, type QuickCreateInput } from "./quick-create";
export { REGISTRATION_HANDLER_SOURCE } from "./registration-handler";
export { renderCustomerTemplate, serializeTemplate, TEMPLATE_BODY_LIMIT } from "./render";
