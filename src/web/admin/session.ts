/**
 * The admin's browser session: the admin token is typed once into `/admin/login` (a POST
 * body, so it never reaches a URL, a log line or the browser history), and Sello answers
 * with a cookie that is not the token. The cookie carries its expiry and an HMAC under a
 * key derived from the token, so it needs no table, dies when the token changes, and
 * reveals nothing about the token.
 *
 * The cookie is HttpOnly, SameSite=Strict, path `/admin`, and Secure when the request or
 * PUBLIC_URL is https. Every form also carries a CSRF token bound to the session cookie
 * (`_admin_csrf`), so a form posted from another site fails even where SameSite does not hold.
 */
import crypto from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { HttpError } from '../../errors.ts';

export const ADMIN_SESSION_COOKIE = 'sello_admin';
const SESSION_HOURS = 8;

export interface AdminSession {
  /** Compares a typed token with the admin token, in constant time. */
  tokenMatches(given: string): boolean;
  /** Sets the session cookie on `res`. */
  start(req: Request, res: Response): void;
  end(req: Request, res: Response): void;
  /** The request's session cookie when valid and unexpired, else null. */
  current(req: Request): string | null;
  /** The CSRF token of the request's session ('' without one). */
  csrfToken(req: Request): string;
  /** True when `given` is the CSRF token of the request's valid session (forms the body parser does not read: multipart). */
  csrfMatches(req: Request, given: unknown): boolean;
  /**
   * Admits a request with a valid session: a GET without one is sent to the login page
   * (303, remembering where it was going); anything else is 401 `unauthorized`. A POST
   * must also carry the session's `_admin_csrf` (403 `forbidden` otherwise).
   */
  require(): RequestHandler;
}

export function createAdminSession({ adminToken, publicUrl, now = () => Date.now() }: { adminToken: string; publicUrl: string; now?: () => number }): AdminSession {
  const tokenHash = crypto.createHash('sha256').update(adminToken).digest();
  const key = crypto.createHash('sha256').update('sello-admin-session\0').update(adminToken).digest();
  const sign = (text: string) => crypto.createHmac('sha256', key).update(text).digest('base64url');
  const equal = (a: string, b: string) => a.length === b.length && crypto.timingSafeEqual(Buffer.from(a), Buffer.from(b));
  const secure = (req: Request) => req.secure || publicUrl.startsWith('https:');
  const cookieOptions = (req: Request) => ({ httpOnly: true, sameSite: 'strict' as const, secure: secure(req), path: '/admin' });

  const current = (req: Request): string | null => {
    const value = (req as Request & { cookies?: Record<string, unknown> }).cookies?.[ADMIN_SESSION_COOKIE];
    if (typeof value !== 'string') return null;
    const match = /^v1\.(\d{1,13})\.([A-Za-z0-9_-]{43})$/.exec(value);
    if (!match || !equal(match[2]!, sign(`session.${match[1]}`))) return null;
    return Number(match[1]) > now() ? value : null;
  };
  const csrfFor = (session: string) => sign(`csrf.${session}`);

  return {
    tokenMatches(given) {
      const hash = crypto.createHash('sha256').update(given.trim()).digest();
      return given.trim().length > 0 && crypto.timingSafeEqual(hash, tokenHash);
    },
    start(req, res) {
      const expires = now() + SESSION_HOURS * 3600 * 1000;
      const value = `v1.${expires}.${sign(`session.${expires}`)}`;
      res.cookie(ADMIN_SESSION_COOKIE, value, { ...cookieOptions(req), maxAge: SESSION_HOURS * 3600 * 1000 });
      // The page rendered in this same answer (none today) would need its token at once.
      (req as Request & { cookies: Record<string, string> }).cookies = { ...(req as Request & { cookies?: Record<string, string> }).cookies, [ADMIN_SESSION_COOKIE]: value };
    },
    end(req, res) {
      res.clearCookie(ADMIN_SESSION_COOKIE, cookieOptions(req));
    },
    current,
    csrfToken(req) {
      const session = current(req);
      return session ? csrfFor(session) : '';
    },
    csrfMatches(req, given) {
      const session = current(req);
      return session !== null && typeof given === 'string' && equal(given, csrfFor(session));
    },
    require() {
      return (req, res, next) => {
        const session = current(req);
        if (!session) {
          if (req.method === 'GET' || req.method === 'HEAD') {
            res.redirect(303, `/admin/login?next=${encodeURIComponent(req.originalUrl.split('?')[0]!)}`);
            return;
          }
          next(new HttpError('unauthorized', 'Sign in to the admin pages first'));
          return;
        }
        // A multipart body is read by its route, which checks `_admin_csrf` itself (csrfMatches).
        if (req.method !== 'GET' && req.method !== 'HEAD' && !req.is('multipart/form-data')) {
          const given = (req.body as Record<string, unknown> | undefined)?._admin_csrf;
          if (typeof given !== 'string' || !equal(given, csrfFor(session))) {
            next(new HttpError('forbidden', 'This form has expired; open the page again'));
            return;
          }
        }
        next();
      };
    },
  };
}

/** Where a login may send the admin back to: a path of the admin pages, nothing else. */
export function safeAdminPath(raw: unknown): string {
  return typeof raw === 'string' && /^\/admin(\/[A-Za-z0-9/_-]*)?$/.test(raw) && !raw.startsWith('/admin/login') ? raw : '/admin';
}
