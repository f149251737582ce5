/**
 * What Stackfleet and the customer stack agree on, shared by registration (the callback reads the
 * switch) and the executor (re-reads it live before every update) without either importing the other.
 */

/** The customer's own switch, a parameter of their stack: "false" there is an opt-out we honour over our table. */
export const AUTO_UPDATE_PARAMETER = "EnableAutoUpdate";

/** Why auto-update is off when the customer turned it off in the stack itself. */
export const STACK_OPT_OUT = `${AUTO_UPDATE_PARAMETER}=false on the customer stack`;
