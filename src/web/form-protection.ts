/**
 * Cross-site request forgery protection for Sello's browser forms (issue 13).
 *
 * A form token, not a session: the token is an HMAC of what already ties the browser to
 * its visit, so nothing is stored on the server.
 *
 * - Inside the LMS (a request carrying an `ltik`), the token is bound to the ltik. The
 *   ltik already travels in every link and form of those pages, so this works in the LMS
 *   iframe, where the browser may withhold Sello's cookies (Safari, Chrome's third-party
 *   cookie phase-out).
 * - Elsewhere (the demo, `/verify`, admin pages), to a random `sello_form` cookie
 *   (first-party, `SameSite=Lax`, HttpOnly) set the first time a page renders a form.
 *
 * The page renderer puts the token into every `<form method="post">` that posts to Sello
 * (so views need no change); `requireFormToken` checks it on every unsafe request with
 * a form content type (urlencoded, multipart, text/plain: what a cross-site `<form>` can
 * send), plus `Sec-Fetch-Site` / `Origin` as defence in depth. Requests a cross-site form
 * cannot make are not its business: JSON bodies (they need a CORS preflight) and
 * `Authorization: Bearer` (the VC API, admin API, wallet protocols). Nor are the LTI
 * endpoints (`/lti/…`, posted cross-site by the LMS by design, protected by OIDC state
 * and nonce) or OpenID4VCI's token endpoint (a form-encoded OAuth endpoint for wallets).
 *
 * https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html ,
 * https://www.w3.org/TR/fetch-metadata/
 */
import crypto from 'node:crypto';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Request, RequestHandler, Response } from 'express';
import { HttpError } from '../errors.ts';
import { ltikOf } from '../lti/require-launch.ts';

/** The hidden field (and, for multipart forms, the query parameter) that carries the token. */
export const FORM_TOKEN_FIELD = '_csrf';
const COOKIE = 'sello_form';
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const FORM_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain'];
/**
 * Paths whose form posts come from elsewhere by design (see the module comment), and
 * `/verify`: it reads a file and changes nothing, for anyone, with no session to ride on,
 * so a forged post gains nothing and `curl -F file=@badge.png …/verify` keeps working.
 */
const EXEMPT = /^\/(?:lti|openid4vci|api\/outcomes|demo\/lms|verify)(?:\/|$)/;

interface FormScope {
  tokenFor(ltik?: string | null): string | null;
}

/**
 * The request being answered, for the page renderer. One carrier for every renderer an
 * app has (routers receive theirs from several places); it holds no state between requests.
 */
const currentRequest = new AsyncLocalStorage<FormScope>();

/** The form token for the page being rendered (bound to `ltik` when the page has one), or null outside a request. */
export function currentFormToken(ltik?: string | null): string | null {
  return currentRequest.getStore()?.tokenFor(ltik) ?? null;
}

export interface FormProtectionOptions {
  /** Secret key material (the key-encryption key); the HMAC key is derived from it. */
  secret: Buffer;
  /** Sello's public URL: its origin is Sello's own. */
  publicUrl: string;
}

/**
 * Makes `currentFormToken` answer during the request, and refuses an unsafe form request
 * without a valid token.
 *
 * @throws HttpError `csrf_failed` (403) through `next`.
 */
export function requireFormToken({ secret, publicUrl }: FormProtectionOptions): RequestHandler {
  const key = formTokenKey(secret);
  const ownOrigin = new URL(publicUrl).origin;
  const sign = (binding: string) => crypto.createHmac('sha256', key).update(binding).digest('base64url');

  return (req, res, next) => {
    let minted: string | null = null;
    const cookieValue = () => {
      const given = (req.cookies as Record<string, string> | undefined)?.[COOKIE];
      if (typeof given === 'string' && /^[A-Za-z0-9_-]{43}$/.test(given)) return given;
      if (!minted && !res.headersSent) {
        minted = crypto.randomBytes(32).toString('base64url');
        res.cookie(COOKIE, minted, { httpOnly: true, sameSite: 'lax', secure: req.secure, path: '/' });
      }
      return minted;
    };
    const scope: FormScope = {
      tokenFor(ltik) {
        const session = ltik || ltikOf(req);
        if (session) return sign(`ltik:${session}`);
        const cookie = cookieValue();
        return cookie ? sign(`browser:${cookie}`) : null;
      },
    };
    if (UNSAFE.has(req.method) && isFormRequest(req) && !EXEMPT.test(req.path) && !/^Bearer\s/i.test(req.get('authorization') ?? '')) {
      const refusal = refusalOf(req, ownOrigin, (given) => {
        const ltik = ltikOf(req);
        const cookie = (req.cookies as Record<string, string> | undefined)?.[COOKIE];
        const expected = ltik ? sign(`ltik:${ltik}`) : typeof cookie === 'string' ? sign(`browser:${cookie}`) : null;
        return expected !== null && given.length === expected.length && crypto.timingSafeEqual(Buffer.from(given), Buffer.from(expected));
      });
      if (refusal) {
        next(new HttpError('csrf_failed', refusal));
        return;
      }
    }
    currentRequest.run(scope, () => next());
  };
}

function formTokenKey(secret: Buffer): Buffer {
  return crypto.createHmac('sha256', secret).update('sello form token v1').digest();
}

/** The form token of an LTI session: what the pages of that `ltik` carry (tests post with it). */
export function ltiFormToken(secret: Buffer, ltik: string): string {
  return crypto.createHmac('sha256', formTokenKey(secret)).update(`ltik:${ltik}`).digest('base64url');
}

function isFormRequest(req: Request): boolean {
  // A cross-site form always declares one of these (its enctype); anything else needs a CORS preflight.
  const type = (req.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  return FORM_TYPES.includes(type);
}

/** Why the request is refused, or null. */
function refusalOf(req: Request, ownOrigin: string, tokenMatches: (given: string) => boolean): string | null {
  const site = req.get('sec-fetch-site');
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return 'This form was sent from another site; open the page on Sello and send it again';
  const origin = req.get('origin');
  if (site === undefined && origin !== undefined && origin !== ownOrigin && origin !== `${req.protocol}://${req.get('host')}`) {
    return 'This form was sent from another site; open the page on Sello and send it again';
  }
  const body = req.body as Record<string, unknown> | undefined;
  const fromBody = body && typeof body === 'object' && !Buffer.isBuffer(body) ? body[FORM_TOKEN_FIELD] : undefined;
  const given = typeof fromBody === 'string' ? fromBody : typeof req.query[FORM_TOKEN_FIELD] === 'string' ? (req.query[FORM_TOKEN_FIELD] as string) : '';
  if (!given) return 'This form is missing its security token; reload the page and send it again';
  if (!tokenMatches(given)) return 'This form has expired or belongs to another session; reload the page and send it again';
  return null;
}

/** Adds the token to every form of `html` that posts to Sello (not to the LMS, not to ltijs). */
export function addFormTokens(html: string, token: string | null): string {
  if (!token) return html;
  return html.replace(/<form\b([^>]*)>/gi, (tag, attributes: string) => {
    if (!/\bmethod\s*=\s*["']?post\b/i.test(attributes)) return tag;
    const action = /\baction\s*=\s*"([^"]*)"/i.exec(attributes)?.[1] ?? '';
    const local = action === '' || (action.startsWith('/') && !action.startsWith('//'));
    if (!local || EXEMPT.test(action.split('?')[0]!)) return tag;
    // A multipart body is read by its route, after this check: the token rides in the URL.
    let opened = tag;
    if (/\benctype\s*=\s*"multipart\/form-data"/i.test(attributes) && action) {
      const separator = action.includes('?') ? '&amp;' : '?';
      opened = tag.replace(`action="${action}"`, `action="${action}${separator}${FORM_TOKEN_FIELD}=${token}"`);
    }
    return `${opened}<input type="hidden" name="${FORM_TOKEN_FIELD}" value="${token}">`;
  });
}
