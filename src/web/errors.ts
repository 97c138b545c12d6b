/**
 * The one place where errors become HTTP answers. JSON clients get `{code, message,
 * details?}`; browsers get the error page in their language. Causes are logged, never
 * sent.
 */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, HttpError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { hasTranslation, negotiateLocale, translate, type Locale } from './i18n.ts';
import type { PageRenderer } from './views.ts';
import { ltiErrorStatus } from '../lti/errors.ts';
import { ExchangeError, exchangeStatus } from '../wallet/vcapi-exchange-error.ts';

/**
 * Codes whose status does not follow from their name (see `statusForCode`). LTI's launch
 * codes are 401/403 whatever their name says, so its table is taken whole.
 */
const explicitStatus: Record<string, number> = {
  ...ltiErrorStatus,
  remote_document_refused: 400,
  // A credential naming a JSON-LD context Sello does not bundle (never fetched from the web).
  unknown_context: 400,
  unsupported_did_method: 400,
  // A did:key status list whose key was revoked: gone for good, Sello signs no more with it.
  issuer_key_revoked: 410,
  chain_unreachable: 503,
  chain_rpc_error: 502,
  invalid_json: 400,
  invalid_request: 400,
  invalid_config: 500,
  unauthorized: 401,
  forbidden: 403,
  csrf_failed: 403,
  not_found: 404,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  // A credential or presentation beyond the verification limits (src/credentials/verification-limits.ts).
  verification_input_too_large: 413,
  verification_timeout: 503,
  internal_error: 500,
  service_unavailable: 503,
  database_unreachable: 503,
  database_locked: 503,
  chain_unavailable: 503,
  // An LMS connector answered a paging link off its base URL's origin (src/outcomes/canvas-connector.ts).
  connector_link_refused: 502,
};

/**
 * HTTP status for an error code. Explicit entries win; then naming conventions, so a
 * capability's new code gets the right status without touching this file:
 * `*_not_found` 404, `invalid_*` / `*_invalid` / `missing_*` 400, `*_unauthorized` 401,
 * `*_forbidden` 403, `*_conflict` / `already_*` 409, `*_unavailable` 503; else 500.
 */
export function statusForCode(code: string): number {
  if (code in explicitStatus) return explicitStatus[code]!;
  if (code.endsWith('_not_found')) return 404;
  if (code.startsWith('invalid_') || code.endsWith('_invalid') || code.startsWith('missing_')) return 400;
  if (code.endsWith('_unauthorized')) return 401;
  if (code.endsWith('_forbidden')) return 403;
  if (code.endsWith('_conflict') || code.startsWith('already_')) return 409;
  if (code.endsWith('_unavailable')) return 503;
  return 500;
}

/**
 * HTTP status for an error. A VC-API exchange's codes follow the exchange's own table
 * (its `unsupported_did_method` is a 422, the holder's DID being the problem, where the
 * verifier's is a 400); every other error by its code.
 */
export function statusForError(error: AppError): number {
  if (error instanceof ExchangeError) return exchangeStatus[error.code];
  return statusForCode(error.code);
}

interface BodyParserError extends Error {
  type?: string;
  status?: number;
}

/** Normalises anything thrown into an AppError (body-parser's errors included). */
function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  // Only decodeURI/decodeURIComponent throw URIError: a client sent a malformed %-escape.
  if (error instanceof URIError) {
    return new HttpError('invalid_url', 'The URL is not valid percent-encoded UTF-8', undefined, { cause: error });
  }
  const parserError = error as BodyParserError;
  switch (parserError?.type) {
    case 'entity.parse.failed':
      return new HttpError('invalid_json', 'The request body is not valid JSON', undefined, { cause: error });
    case 'entity.too.large':
      return new HttpError('payload_too_large', 'The request body is too large', undefined, { cause: error });
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new HttpError('unsupported_media_type', 'Unsupported body encoding', undefined, { cause: error });
  }
  if (parserError?.status && parserError.status >= 400 && parserError.status < 500) {
    return new HttpError('invalid_request', parserError.message || 'Bad request', undefined, { cause: error });
  }
  return new HttpError('internal_error', 'Something went wrong on our side', undefined, { cause: error });
}

export function notFoundHandler(): RequestHandler {
  return (req, _res, next) => {
    next(new HttpError('not_found', `No route for ${req.method} ${req.path}`));
  };
}

export function errorHandler(options: { log: Logger; pages: PageRenderer; defaultLocale: Locale }): ErrorRequestHandler {
  return (error, req, res, _next) => {
    const appError = toAppError(error);
    const status = statusForError(appError);
    // The verifier refusing work at capacity (it says when to come back, `retryAfterMs`) is
    // load shedding, not a failure: thousands a second under overload, and logging each
    // with its stack would add work to the one thread that is short of it.
    const shed = appError.code === 'verification_unavailable' && typeof appError.details?.retryAfterMs === 'number';
    if (status >= 500 && !shed) options.log.error({ err: error, code: appError.code, path: req.path }, appError.message);
    else options.log.debug({ code: appError.code, path: req.path }, appError.message);
    if (res.headersSent) {
      res.end();
      return;
    }
    const wantsHtml = req.accepts(['json', 'html']) === 'html' && !req.is('json');
    if (wantsHtml) {
      const locale = negotiateLocale(req, options.defaultLocale);
      // A code with its own sentence in the catalogs is said in the page's language. The
      // others' messages are English: another language gets its kind of error's sentence
      // (not found, a request that cannot be handled, a fault on Sello's side) instead.
      const kind = status === 404 ? 'error.not_found' : status >= 500 ? 'error.server' : 'error.request';
      const message = hasTranslation(`error.${appError.code}`)
        ? translate(locale, `error.${appError.code}`)
        : locale === 'en'
          ? appError.message
          : translate(locale, kind);
      res
        .status(status)
        .type('html')
        .send(options.pages.render('error', { title: translate(locale, 'error.title'), message, code: appError.code }, locale));
      return;
    }
    res.status(status).json({
      code: appError.code,
      message: appError.message,
      ...(appError.details && status < 500 ? { details: appError.details } : {}),
    });
  };
}
