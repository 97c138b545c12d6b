/**
 * `/admin`: the sign-in page (the admin token, typed once, in a POST body), sign-out, and
 * the overview that links to each admin page.
 */
import { Router, type Response } from 'express';
import { translate, type Locale } from '../i18n.ts';
import type { PageRenderer } from '../views.ts';
import { ADMIN_SECTIONS, renderAdminPage } from './admin-page.ts';
import { safeAdminPath, type AdminSession } from './session.ts';

export function adminHomeRouter({ pages, session }: { pages: PageRenderer; session: AdminSession }): Router {
  const router = Router();
  const context = { pages, session };

  const loginPage = (res: Response, next: string, error: string | null, status = 200, signedOut = false) => {
    const locale = res.locals.locale as Locale;
    const done = signedOut ? translate(locale, 'admin.done.signedOut') : null;
    res
      .status(status)
      .set('cache-control', 'no-store')
      .type('html')
      .send(pages.render('admin-login', { title: translate(locale, 'admin.login.title'), langPath: '/admin/login', next, error, done }, locale));
  };

  router.get('/admin/login', (req, res) => {
    if (session.current(req)) {
      res.redirect(303, safeAdminPath(req.query.next));
      return;
    }
    loginPage(res, safeAdminPath(req.query.next), null, 200, req.query.done === 'signedOut');
  });

  router.post('/admin/login', (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const next = safeAdminPath(body.next);
    if (typeof body.token !== 'string' || !session.tokenMatches(body.token)) {
      loginPage(res, next, translate(res.locals.locale as Locale, 'admin.login.wrong'), 401);
      return;
    }
    session.start(req, res);
    res.redirect(303, next);
  });

  router.post('/admin/logout', session.require(), (req, res) => {
    session.end(req, res);
    res.redirect(303, '/admin/login?done=signedOut');
  });

  router.get('/admin', session.require(), (req, res) => {
    const locale = res.locals.locale as Locale;
    renderAdminPage(context, req, res, {
      page: 'admin-home',
      section: 'home',
      titleKey: 'admin.home.title',
      data: {
        sections: ADMIN_SECTIONS.map((section) => ({
          path: section.path,
          label: translate(locale, `admin.nav.${section.id}`),
          about: translate(locale, `admin.home.about.${section.id}`),
        })),
      },
    });
  });
  return router;
}
