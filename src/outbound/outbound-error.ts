import { AppError } from '../errors.ts';

export type OutboundErrorCode =
  /** Not an http(s) URL, or one with credentials in it. */
  | 'outbound_url_invalid'
  /** The host resolves to an address Sello may not reach (loopback, private, link-local, …). */
  | 'outbound_address_refused'
  /** DNS failure, connection refused or reset, TLS failure, or an answer that is not HTTP. */
  | 'outbound_unreachable'
  /** The connection or the whole exchange took longer than allowed. */
  | 'outbound_timeout'
  /** The answer is larger than the response size limit. */
  | 'outbound_response_too_large'
  /** A redirect to another origin, one too many, or any redirect where none is allowed. */
  | 'outbound_redirect_refused';

/**
 * Errors of Sello's outbound HTTP client (`src/outbound/`). Callers wrap them in their
 * own capability's codes; the cause and details are for logs and administrators, never
 * for anonymous callers.
 */
export class OutboundError extends AppError<OutboundErrorCode> {}
