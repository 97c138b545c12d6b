import { AppError } from '../errors.ts';

/**
 * The error codes of OpenID4VCI 1.0 and OAuth 2.0 (RFC 6749 §5.2), kept as the spec
 * spells them because wallets act on them: token endpoint (`invalid_grant`,
 * `invalid_request`, `unsupported_grant_type`), credential endpoint (§8.3.1.2:
 * `invalid_proof`, `invalid_nonce`, `invalid_credential_request`,
 * `unknown_credential_configuration`, `credential_request_denied`), bearer token
 * (RFC 6750 §3.1: `invalid_token`), and Sello's own `offer_not_found`.
 */
export type Openid4vciErrorCode =
  | 'invalid_request'
  | 'invalid_grant'
  | 'unsupported_grant_type'
  | 'invalid_token'
  | 'invalid_proof'
  | 'invalid_nonce'
  | 'invalid_credential_request'
  | 'unknown_credential_configuration'
  | 'credential_request_denied'
  | 'offer_not_found';

/** Errors of the OpenID4VCI wallet protocol; the routes answer them as OAuth error JSON. */
export class Openid4vciError extends AppError<Openid4vciErrorCode> {}

/** HTTP status of each code, per the spec that defines it. */
export const openid4vciStatus: Record<Openid4vciErrorCode, number> = {
  invalid_request: 400,
  invalid_grant: 400,
  unsupported_grant_type: 400,
  invalid_token: 401,
  invalid_proof: 400,
  invalid_nonce: 400,
  invalid_credential_request: 400,
  unknown_credential_configuration: 400,
  credential_request_denied: 400,
  offer_not_found: 404,
};
