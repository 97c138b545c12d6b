/**
 * Errors of the LTI capability. Each code has a fixed HTTP status (kept here rather than
 * in the naming convention of `web/errors.ts`, because the launch codes are 401/403
 * whatever their name says); LTI routes answer them with `sendLtiError`.
 */
import type { ErrorRequestHandler, Request, Response } from 'express';
import { AppError } from '../errors.ts';

/** The page renderer LTI pages need (the web layer's `PageRenderer` satisfies it). */
export interface PageRenderer {
  render(page: string, data: Record<string, unknown> & { title?: string }, locale: 'en' | 'es'): string;
}

export const ltiErrorStatus = {
  lti_session_required: 401,
  lti_forbidden: 403,
  lti_token_invalid: 401,
  lti_signature_invalid: 401,
  lti_alg_invalid: 401,
  lti_token_expired: 401,
  lti_audience_invalid: 401,
  lti_nonce_replayed: 401,
  lti_state_missing: 401,
  lti_https_required: 401,
  lti_claims_invalid: 400,
  lti_login_invalid: 400,
  lti_platform_unknown: 400,
  lti_platform_inactive: 403,
  lti_deployment_unknown: 403,
  lti_deep_linking_invalid: 400,
  invalid_openid_configuration: 400,
  lti_registration_unreachable: 502,
  lti_registration_rejected: 502,
  /**
   * What an anonymous caller is told of any registration that failed on its target: a 4xx,
   * because the request named that target. A 5xx would let anyone raise Sello's server-error
   * alarms at will, and the fuzzing of the public endpoints requires none (issue 10).
   */
  lti_registration_failed: 400,
  lti_platform_conflict: 409,
  lti_invite_invalid: 400,
  invalid_invite: 400,
  invalid_platform: 400,
  invalid_wallet_address: 400,
  invalid_achievement: 400,
  achievement_not_found: 404,
  platform_not_found: 404,
  invalid_score: 400,
  lti_service_unavailable: 503,
  lti_service_failed: 502,
  lti_service_unauthorized: 502,
  /** A platform's paging or differences link to an origin other than its service's. */
  lti_service_link_refused: 502,
} as const;

export type LtiErrorCode = keyof typeof ltiErrorStatus;

export class LtiError extends AppError<LtiErrorCode> {
  get status(): number {
    return ltiErrorStatus[this.code];
  }
}

/**
 * The codes a person can meet on the error page (a launch, a bookmarked page, the
 * registration URL opened by hand), each with a sentence in the catalogs
 * (`lti.error.reason.<code>`): the page says it in the person's language, where the
 * error's own message is English. Other codes come from the admin API and the CLI.
 */
export const LTI_PAGE_REASONS: ReadonlySet<LtiErrorCode> = new Set<LtiErrorCode>([
  'lti_session_required',
  'lti_forbidden',
  'lti_token_invalid',
  'lti_signature_invalid',
  'lti_alg_invalid',
  'lti_token_expired',
  'lti_audience_invalid',
  'lti_nonce_replayed',
  'lti_state_missing',
  'lti_claims_invalid',
  'lti_login_invalid',
  'lti_platform_unknown',
  'lti_platform_inactive',
  'lti_deployment_unknown',
  'lti_deep_linking_invalid',
  'invalid_openid_configuration',
  'lti_registration_failed',
  'lti_invite_invalid',
  'achievement_not_found',
]);

/** Answers an LtiError: JSON `{code, message, details?}` for API clients, the error page for browsers. */
export function sendLtiError(req: Request, res: Response, error: LtiError, pageRenderer?: PageRenderer): void {
  // Inside ltijs's own express app `req.app` is ltijs's, hence the explicit renderer.
  const pages = pageRenderer ?? (req.app.locals.pages as PageRenderer | undefined);
  const wantsHtml = req.accepts(['json', 'html']) === 'html' && !req.is('json');
  res.status(error.status);
  if (wantsHtml && pages) {
    const locale = (res.locals.launch?.locale ?? res.locals.locale ?? 'en') as 'en' | 'es';
    const reasonKey = LTI_PAGE_REASONS.has(error.code) ? `lti.error.reason.${error.code}` : null;
    res.type('html').send(pages.render('lti-error', { titleKey: 'lti.error.title', reasonKey, message: error.message, code: error.code, details: error.details }, locale));
    return;
  }
  res.json({ code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) });
}

/** Error middleware for LTI routers: LtiErrors answered here, anything else passed on. */
export function ltiErrorHandler(): ErrorRequestHandler {
  return (error, req, res, next) => {
    if (error instanceof LtiError && !res.headersSent) sendLtiError(req, res, error);
    else next(error);
  };
}
