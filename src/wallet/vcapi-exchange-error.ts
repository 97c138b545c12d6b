import { AppError } from '../errors.ts';

/**
 * Errors of a VC-API exchange (https://w3c-ccg.github.io/vc-api/#exchanges), answered as
 * `{code, message}` like every other Sello 4xx:
 * - `exchange_not_found` (404): no exchange behind this URL;
 * - `exchange_expired` (410): it was not finished in time; ask for a new one;
 * - `exchange_complete` (409): used already (single use);
 * - `invalid_exchange_request` (400): the body is neither `{}` nor `{verifiablePresentation}`;
 * - `invalid_did_authentication` (401): the presentation does not prove the holder's DID
 *   for this exchange's challenge and domain (`details.error` says which check failed);
 * - `unsupported_did_method` (422): the holder's DID is not a `did:key`;
 * - `credential_unavailable` (403): the credential was revoked, or its issuer is gone.
 */
export type ExchangeErrorCode =
  | 'exchange_not_found'
  | 'exchange_expired'
  | 'exchange_complete'
  | 'invalid_exchange_request'
  | 'invalid_did_authentication'
  | 'unsupported_did_method'
  | 'credential_unavailable';

export class ExchangeError extends AppError<ExchangeErrorCode> {}

export const exchangeStatus: Record<ExchangeErrorCode, number> = {
  exchange_not_found: 404,
  exchange_expired: 410,
  exchange_complete: 409,
  invalid_exchange_request: 400,
  invalid_did_authentication: 401,
  unsupported_did_method: 422,
  credential_unavailable: 403,
};
