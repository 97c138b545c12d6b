/**
 * What every `/admin` page shares: the navigation, the CSRF token of its forms, the
 * language switch back to the same page, and the success message of the last action
 * (`?done=<code>`, a code from a fixed list, so a link cannot make the page say anything).
 */
import type { Request, Response } from 'express';
import { translate, type Locale } from '../i18n.ts';
import type { PageRenderer } from '../views.ts';
import type { AdminSession } from './session.ts';

export const ADMIN_SECTIONS = [
  { id: 'platforms', path: '/admin/platforms' },
  { id: 'issuer', path: '/admin/issuer' },
  { id: 'keys', path: '/admin/keys' },
  { id: 'chain', path: '/admin/chain' },
  { id: 'queue', path: '/admin/queue' },
  { id: 'audit', path: '/admin/audit' },
  { id: 'trustLists', path: '/admin/trust-lists' },
] as const;
export type AdminSection = (typeof ADMIN_SECTIONS)[number]['id'] | 'home';

/** The success messages a page may show after a redirect (`admin.done.<code>`). */
const DONE_CODES = new Set([
  'approved',
  'rejected',
  'disabled',
  'enabled',
  'saved',
  'added',
  'connector',
  'rotated',
  'retried',
  'profile',
  'signedOut',
]);

/** Field errors as a view expects them: `{field: message}`, already translated. */
export type FieldErrors = Record<string, string>;

export interface AdminPageContext {
  pages: PageRenderer;
  session: AdminSession;
}

export function renderAdminPage(
  context: AdminPageContext,
  req: Request,
  res: Response,
  params: { page: string; section: AdminSection; titleKey: string; data?: Record<string, unknown>; status?: number; langPath?: string },
): void {
  const locale = res.locals.locale as Locale;
  const done = typeof req.query.done === 'string' && DONE_CODES.has(req.query.done) ? translate(locale, `admin.done.${req.query.done}`) : null;
  // A form's answer switches language on the page the form belongs to, not on its action.
  const path = params.langPath ?? (req.method === 'GET' ? req.originalUrl.split('?')[0]! : (ADMIN_SECTIONS.find((section) => section.id === params.section)?.path ?? '/admin'));
  res
    .status(params.status ?? 200)
    .set('cache-control', 'no-store')
    .type('html')
    .send(
      context.pages.render(
        params.page,
        {
          title: translate(locale, params.titleKey),
          langPath: path,
          csrf: context.session.csrfToken(req),
          done,
          nav: ADMIN_SECTIONS.map((section) => ({
            path: section.path,
            label: translate(locale, `admin.nav.${section.id}`),
            current: section.id === params.section,
          })),
          ...params.data,
        },
        locale,
      ),
    );
}

/** Redirects after a successful POST (303, so a reload does not post again). */
export function redirectDone(res: Response, path: string, done: string): void {
  res.redirect(303, `${path}?done=${encodeURIComponent(done)}`);
}

/** Field errors of a zod result, each under its first path segment, in the page's language. */
export function fieldErrors(locale: Locale, issues: ReadonlyArray<{ path: ReadonlyArray<string | number>; message: string }>, keyOf: (field: string) => string): FieldErrors {
  const errors: FieldErrors = {};
  for (const issue of issues) {
    const field = String(issue.path[0] ?? '');
    errors[field] ??= translate(locale, keyOf(field));
  }
  return errors;
}
