/**
 * Sello's own checks of a launch's id_token claims, on top of what ltijs verifies
 * (signature, RS256, nonce replay, `iat` no older than `tokenMaxAge`, LTI core claims
 * present). ltijs accepts a token without `exp`, with `iat` in the future, with an `aud`
 * array and no `azp`, with `roles` as a string, and with identifiers of any size (which
 * Sello then stores); these are refused here, before ltijs sees the token.
 *
 * https://www.imsglobal.org/spec/security/v1p0#authentication-response-validation
 * https://www.imsglobal.org/spec/lti/v1p3#required-message-claims
 * https://openid.net/specs/openid-connect-core-1_0.html#IDTokenValidation
 */
import { CLAIM } from './claims.ts';
import { LtiError } from './errors.ts';

/** Clocks of an LMS and Sello may differ this much, either way. */
export const ID_TOKEN_CLOCK_SKEW_S = 60;
/** Far above real launches (a few KB with custom parameters and service claims). */
export const MAX_ID_TOKEN_LENGTH = 64 * 1024;
/** LTI 1.3 and OIDC bound identifiers (`sub`, `context.id`, `resource_link.id`, `deployment_id`) to 255 characters. */
const MAX_ID_LENGTH = 255;
/** Any other text in the claims (names, titles, URLs, custom parameters). */
const MAX_TEXT_LENGTH = 4096;
const MAX_ROLES = 100;

export interface ValidateIdTokenClaimsParameters {
  claims: Record<string, unknown>;
  /** The client ids Sello holds for the token's issuer: the only audiences it trusts. */
  clientIds: readonly string[];
  now?: Date;
  clockSkewS?: number;
}

const invalidClaims = (claim: string, message: string) => new LtiError('lti_claims_invalid', message, { claim });

function checkId(value: unknown, claim: string, required: boolean): void {
  if (value === undefined || value === null) {
    if (required) throw invalidClaims(claim, `The launch lacks ${claim}`);
    return;
  }
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID_LENGTH) {
    throw invalidClaims(claim, `${claim} must be a text of 1 to ${MAX_ID_LENGTH} characters`);
  }
}

/** The first string anywhere in `value` longer than `max`, as a claim path; null when none. */
function oversizedText(value: unknown, path: string, max: number, depth = 0): string | null {
  if (typeof value === 'string') return value.length > max ? path : null;
  if (depth > 8 || value === null || typeof value !== 'object') return null;
  for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
    if (key.length > max) return `${path}.${key.slice(0, 40)}…`;
    const found = oversizedText(inner, path ? `${path}.${key}` : key, max, depth + 1);
    if (found) return found;
  }
  return null;
}

/**
 * Checks the claims of an id_token (signature checked separately, by ltijs).
 *
 * @throws LtiError `lti_token_expired` (no `exp`, or `exp` passed), `lti_token_invalid`
 *   (`iat` missing or in the future, `nbf` not reached, no `nonce`), `lti_audience_invalid`
 *   (an audience Sello does not hold for this issuer, several audiences without a matching
 *   `azp`), `lti_claims_invalid` (`roles` not an array of texts, identifiers over 255
 *   characters, other texts over 4 KB).
 */
export function validateIdTokenClaims({ claims, clientIds, now = new Date(), clockSkewS = ID_TOKEN_CLOCK_SKEW_S }: ValidateIdTokenClaimsParameters): void {
  const nowS = now.getTime() / 1000;
  const { exp, iat, nbf } = claims;
  if (typeof exp !== 'number' || !Number.isFinite(exp)) throw new LtiError('lti_token_expired', 'The launch token has no expiry (exp)');
  if (nowS > exp + clockSkewS) throw new LtiError('lti_token_expired', 'The launch token has expired; open Sello again from the course');
  if (typeof iat !== 'number' || !Number.isFinite(iat)) throw new LtiError('lti_token_invalid', 'The launch token has no issue time (iat)');
  if (iat > nowS + clockSkewS) throw new LtiError('lti_token_invalid', 'The launch token was issued in the future; check the LMS clock');
  if (nbf !== undefined && (typeof nbf !== 'number' || nbf > nowS + clockSkewS)) {
    throw new LtiError('lti_token_invalid', 'The launch token is not valid yet (nbf)');
  }
  if (typeof claims.nonce !== 'string' || claims.nonce.length === 0 || claims.nonce.length > MAX_TEXT_LENGTH) {
    throw new LtiError('lti_token_invalid', 'The launch token has no nonce');
  }

  // Security Framework 5.1.3 steps 3-5: every audience must be one Sello trusts; with
  // several, azp must name the one the token was issued to.
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (audiences.length === 0 || audiences.some((aud) => typeof aud !== 'string' || !clientIds.includes(aud))) {
    throw new LtiError('lti_audience_invalid', 'The launch token is meant for another tool', { aud: claims.aud });
  }
  if (audiences.length > 1 && (typeof claims.azp !== 'string' || !audiences.includes(claims.azp))) {
    throw new LtiError('lti_audience_invalid', 'A launch token for several audiences must name Sello in azp', { aud: claims.aud, azp: claims.azp });
  }
  if (claims.azp !== undefined && (typeof claims.azp !== 'string' || !audiences.includes(claims.azp))) {
    throw new LtiError('lti_audience_invalid', 'The launch token was issued to another tool (azp)', { azp: claims.azp });
  }

  checkId(claims.sub, 'sub', true);
  checkId(claims[CLAIM.deploymentId], 'deployment_id', true);
  const roles = claims[CLAIM.roles];
  if (!Array.isArray(roles) || roles.length > MAX_ROLES || roles.some((role) => typeof role !== 'string' || role.length > MAX_TEXT_LENGTH)) {
    throw invalidClaims('roles', `roles must be an array of at most ${MAX_ROLES} texts`);
  }
  const context = claims[CLAIM.context];
  if (context !== undefined) {
    if (context === null || typeof context !== 'object' || Array.isArray(context)) throw invalidClaims('context', 'context must be an object');
    checkId((context as { id?: unknown }).id, 'context.id', true);
  }
  const resourceLink = claims[CLAIM.resourceLink];
  if (resourceLink !== undefined) {
    if (resourceLink === null || typeof resourceLink !== 'object' || Array.isArray(resourceLink)) {
      throw invalidClaims('resource_link', 'resource_link must be an object');
    }
    checkId((resourceLink as { id?: unknown }).id, 'resource_link.id', true);
  }
  const oversized = oversizedText(claims, '', MAX_TEXT_LENGTH);
  if (oversized) throw invalidClaims(oversized, `${oversized} is longer than ${MAX_TEXT_LENGTH} characters`);
}
