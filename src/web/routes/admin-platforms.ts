/**
 * LMS platforms for administrators: `/admin/api/platforms` (bearer ADMIN_TOKEN) to list,
 * add by hand, approve and disable; `/admin/platforms` a page driving that API.
 */
import { Router } from 'express';
import { requireAdminToken } from '../admin-auth.ts';
import type { Lti } from '../../lti/provider.ts';
import { LtiError, ltiErrorHandler } from '../../lti/errors.ts';
import { manualRegistration, platformInputSchema } from '../../lti/platform-registry.ts';
import { toolEndpoints } from '../../lti/tool-configuration.ts';
import { translate } from '../i18n.ts';
import type { PageRenderer } from '../views.ts';

export interface AdminPlatformsDependencies {
  lti: Pick<Lti, 'registry'> & Partial<Pick<Lti, 'registrationFailures'>>;
  adminToken: string;
  publicUrl: string;
  pages: PageRenderer;
}

export function adminPlatformsRouter({ lti, adminToken, publicUrl, pages }: AdminPlatformsDependencies): Router {
  const router = Router();
  const admin = requireAdminToken(adminToken);
  const endpoints = toolEndpoints(publicUrl);

  router.get('/admin/platforms', (_req, res) => {
    res.type('html').send(pages.render('lti-admin-platforms', { title: translate(res.locals.locale, 'lti.admin.title'), endpoints }, res.locals.locale));
  });

  router.get('/admin/api/platforms', admin, async (_req, res) => {
    // The reasons of failed Dynamic Registrations, which the anonymous endpoint does not tell.
    res.json({ platforms: await lti.registry.list(), tool: endpoints, registrationFailures: lti.registrationFailures?.list() ?? [] });
  });

  /** Manual registration. 201 with the platform and the tool's URLs to paste into the LMS. */
  router.post('/admin/api/platforms', admin, async (req, res) => {
    const parsed = platformInputSchema.safeParse(req.body ?? {});
    if (!parsed.success) {
      throw new LtiError('invalid_platform', 'The platform needs issuer, clientId, authUrl, tokenUrl and jwksUrl as http(s) URLs', {
        problems: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`),
      });
    }
    const platform = await lti.registry.register(manualRegistration(parsed.data, req.get('x-sello-cli') ? 'cli' : 'manual'));
    res.status(201).json({ platform, tool: endpoints });
  });

  for (const [action, status] of [
    ['approve', 'active'],
    ['disable', 'disabled'],
  ] as const) {
    router.post(`/admin/api/platforms/:id/${action}`, admin, async (req, res) => {
      const id = String(req.params.id);
      if (!/^[0-9a-f-]{36}$/i.test(id)) throw new LtiError('platform_not_found', `No platform ${id}`);
      res.json({ platform: await lti.registry.setStatus(id, status) });
    });
  }

  router.use(ltiErrorHandler());
  return router;
}
