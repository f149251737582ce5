export {
  AccessClaims,
  actorOf,
  canAccessTenant,
  principalFromClaims,
  requireOperator,
  Role,
  ROLE_CLAIM,
  TENANT_CLAIM,
  tenantScope,
  type Principal,
} from "./principal";
export { ACCEPTED_ALGORITHMS, createJwtVerifier, DEFAULT_CLOCK_TOLERANCE_SECONDS, type JwtVerifier, type JwtVerifierOptions } from "./verifier";
export {
  createDevVerifier,
  DEV_AUTH_KEY_FILE,
  generateDevAuthKey,
  issueDevToken,
  LOCAL_AUDIENCE,
  LOCAL_ISSUER,
  loadOrCreateDevAuthKey,
  parseTtl,
  type DevAuthKey,
  type DevTokenRequest,
} from "./dev-key";
