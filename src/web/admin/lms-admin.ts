/**
 * `/app/admin`: the settings of one LMS for that LMS's own administrator, reached by an
 * LTI launch with the institution or system role Administrator. The platform is always
 * the launch's own (`res.locals.launch.platformId`); no route here takes a platform id,
 * so no form can name another platform, and the admin session of `/admin` (keys, chain,
 * other platforms) is not given by a launch. The administrator may rename the platform,
 * set its grade connector and make its webhook secret; its endpoints, status and keys
 * stay with the deployment's administrator.
 */
import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { RequireLaunch, Launch } from '../../lti/require-launch.ts';
import { isLmsAdministratorRole } from '../../lti/claims.ts';
import { LtiError, sendLtiError } from '../../lti/errors.ts';
import { createAuditRepository } from '../../storage/audit-repository.ts';
import type { Database } from '../../storage/database.ts';
import { createPlatformRepository, type Platform } from '../../storage/platform-repository.ts';
import { translate, type Locale } from '../i18n.ts';
import type { PageRenderer } from '../views.ts';
import type { FieldErrors } from './admin-page.ts';
import { makeWebhookSecret, parseForm, platformNameSchema, platformSettingsView, saveConnector } from './platform-settings.ts';

export interface LmsAdminDependencies {
  db: Database;
  kek: Buffer;
  requireLaunch: RequireLaunch;
  pages: PageRenderer;
}

export function lmsAdminRouter({ db, kek, requireLaunch, pages }: LmsAdminDependencies): Router {
  const router = Router();
  const platforms = createPlatformRepository(db);
  const requireLmsAdministrator: RequestHandler = (req, res, next) => {
    const launch = res.locals.launch as Launch;
    if (!isLmsAdministratorRole(launch.roles)) {
      sendLtiError(req, res, new LtiError('lti_forbidden', translate(res.locals.locale as Locale, 'lmsAdmin.forbidden')));
      return;
    }
    next();
  };
  const guard = [requireLaunch({ roles: 'any' }), requireLmsAdministrator];
  const actor = (launch: Launch) => `lti:${launch.platformId}:${launch.userId}`;

  const show = async (
    req: Request,
    res: Response,
    platform: Platform,
    extra: { details?: Record<string, string>; detailErrors?: FieldErrors; connector?: Record<string, string>; connectorErrors?: FieldErrors; newSecret?: string; done?: string; status?: number } = {},
  ) => {
    const launch = res.locals.launch as Launch;
    const locale = res.locals.locale as Locale;
    const settings = await platformSettingsView({ db, kek, platform, locale });
    const done = typeof req.query.done === 'string' && ['saved', 'connector'].includes(req.query.done) ? translate(locale, `admin.done.${req.query.done}`) : null;
    res
      .status(extra.status ?? 200)
      .set('cache-control', 'no-store')
      .type('html')
      .send(
        pages.render(
          'lms-admin',
          {
            title: translate(locale, 'lmsAdmin.title'),
            langPath: '/app/admin',
            ltik: launch.ltik,
            done,
            settings,
            base: '/app/admin',
            auth: { name: 'ltik', value: launch.ltik },
            editEndpoints: false,
            details: extra.details ?? { name: platform.name },
            detailErrors: extra.detailErrors ?? {},
            connector: extra.connector ?? { kind: settings.connector?.kind ?? (platform.product === 'canvas' ? 'canvas' : 'moodle'), baseUrl: settings.connector?.baseUrl ?? '' },
            connectorErrors: extra.connectorErrors ?? {},
            newSecret: extra.newSecret ?? null,
          },
          locale,
        ),
      );
  };
  const ownPlatform = async (res: Response): Promise<Platform> => {
    const platform = await platforms.findById((res.locals.launch as Launch).platformId);
    // requireLaunch has just read it; only a deletion in between gets here.
    if (!platform) throw new LtiError('lti_session_required', 'This LMS is no longer registered in Sello');
    return platform;
  };
  const back = (res: Response, done: string) => {
    const launch = res.locals.launch as Launch;
    res.redirect(303, `/app/admin?ltik=${encodeURIComponent(launch.ltik)}&done=${done}`);
  };

  router.get('/app/admin', ...guard, async (req, res) => show(req, res, await ownPlatform(res)));

  router.post('/app/admin/details', ...guard, async (req, res) => {
    const platform = await ownPlatform(res);
    const outcome = parseForm(platformNameSchema, (req.body ?? {}) as Record<string, unknown>, ['name'], res.locals.locale as Locale, (field) => `admin.platforms.error.${field}`);
    if (!outcome.ok) {
      await show(req, res, platform, { details: outcome.values, detailErrors: outcome.errors, status: 400 });
      return;
    }
    await platforms.rename(platform.id, outcome.value.name);
    await createAuditRepository(db).record({ actor: actor(res.locals.launch as Launch), action: 'platform.updated', subject: platform.id });
    back(res, 'saved');
  });

  router.post('/app/admin/connector', ...guard, async (req, res) => {
    const platform = await ownPlatform(res);
    const launch = res.locals.launch as Launch;
    const outcome = await saveConnector({ db, kek, platformId: platform.id, body: (req.body ?? {}) as Record<string, unknown>, locale: res.locals.locale as Locale, actor: actor(launch) });
    if (!outcome.ok) {
      await show(req, res, platform, { connector: outcome.values, connectorErrors: outcome.errors, status: 400 });
      return;
    }
    back(res, 'connector');
  });

  router.post('/app/admin/webhook-secret', ...guard, async (req, res) => {
    const platform = await ownPlatform(res);
    const secret = await makeWebhookSecret({ db, kek, platformId: platform.id, actor: actor(res.locals.launch as Launch) });
    await show(req, res, platform, { newSecret: secret });
  });
  return router;
}
