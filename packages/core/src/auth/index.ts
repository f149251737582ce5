export {
  AccessClaims,
  actorOf,
  canAccessTenant,
  type Principal,
  principalFromClaims,
  ROLE_CLAIM,
  Role,
  requireOperator,
  TENANT_CLAIM,
  tenantScope,
} from "./principal";
export {
  ACCEPTED_ALGORITHMS,
  createJwtVerifier,
  DEFAULT_CLOCK_TOLERANCE_SECONDS,
  type JwtVerifier,
  type JwtVerifierOptions,
} from "./verifier";
