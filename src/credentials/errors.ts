import { AppError } from '../errors.ts';
import type { VcDataModelProblemCode } from './vc-data-model.ts';

/**
 * Codes of the credentials capability. Names follow the HTTP mapping convention of
 * `src/web/errors.ts` (`invalid_*` 400, `*_not_found` 404, `*_conflict` 409).
 */
export type CredentialErrorCode =
  | 'invalid_credential'
  | 'invalid_presentation'
  | 'invalid_baked_image'
  | 'invalid_did'
  | 'unsupported_did_method'
  | 'did_not_found'
  | 'document_not_found'
  | 'remote_document_refused'
  | 'issuer_key_not_found'
  | 'issuer_key_revoked'
  | 'current_key_revoke_conflict'
  | 'missing_reason'
  | 'credential_not_found'
  | 'achievement_not_found'
  // POST /credentials/issue: options.recipient.userId names no user (404).
  | 'user_not_found'
  | 'status_list_not_found'
  | 'status_list_full_conflict'
  | 'status_change_conflict'
  | 'signing_failed'
  | 'anchor_checker_unavailable'
  | 'verification_input_too_large'
  | 'verification_timeout'
  | 'verification_unavailable'
  // POST /credentials/issue: the credential breaks a VC Data Model 2.0 rule (vc-data-model.ts) …
  | VcDataModelProblemCode
  | 'invalid_open_badge_credential'
  // … uses a term or type its contexts do not define (400) …
  | 'credential_jsonld_invalid'
  // … names a JSON-LD context Sello does not bundle (400; contexts come from npm packages only) …
  | 'unknown_context'
  // … names an issuer that is not this deployment's (or its tenant's) current DID (403) …
  | 'credential_issuer_forbidden'
  // … carries the id of a credential Sello already issued (409) …
  | 'credential_id_conflict'
  // … or comes with VC API options Sello cannot honour (400).
  | 'invalid_issue_options';

/** Errors of `src/credentials/` and its storage and HTTP faces. */
export class CredentialError extends AppError<CredentialErrorCode> {}
