/**
 * LMS platforms for administrators: `/admin/api/platforms` (bearer ADMIN_TOKEN) to list,
 * add by hand, approve and disable, decide on registrations for known issuers, and make
 * one-time registration links. The pages are in platforms-page.ts.
 */
import { Router } from 'express';
import { z } from 'zod';
import { requireAdminToken } from './auth.ts';
import type { Lti } from '../../lti/provider.ts';
import { LtiError, ltiErrorHandler } from '../../lti/errors.ts';
import { manualRegistration, platformInputSchema } from '../../lti/platform-registry.ts';
import { toolEndpoints } from '../../lti/tool-configuration.ts';

export interface AdminPlatformsDependencies {
  lti: Pick<Lti, 'registry' | 'invites'> & Partial<Pick<Lti, 'registrationFailures'>>;
  adminToken: string;
  publicUrl: string;
}

export function adminPlatformsRouter({ lti, adminToken, publicUrl }: AdminPlatformsDependencies): Router {
  const router = Router();
  const admin = requireAdminToken(adminToken);
  const endpoints = toolEndpoints(publicUrl);

  router.get('/admin/api/platforms', admin, async (_req, res) => {
    res.json({
      platforms: await lti.registry.list(),
      requests: await lti.registry.listRequests(),
      tool: endpoints,
      // The reasons of failed Dynamic Registrations, which the anonymous endpoint does not tell.
      registrationFailures: lti.registrationFailures?.list() ?? [],
    });
  });

  /**
   * A one-time registration link (`/lti/register?invite=…`), 201 `{invite: {id, url,
   * expiresAt}}`; body `{hours?}` (default 24). The URL is shown only in this answer.
   */
  router.post('/admin/api/platforms/invites', admin, async (req, res) => {
    const parsed = z.object({ hours: z.number().positive().optional() }).strict().safeParse(req.body ?? {});
    if (!parsed.success) {
      throw new LtiError('invalid_invite', 'hours must be a positive number', {
        problems: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`),
      });
    }
    const invite = await lti.invites.create({ createdBy: req.get('x-sello-cli') ? 'cli' : 'admin', hours: parsed.data.hours });
    res.status(201).json({ invite });
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

  const idOf = (raw: unknown): string => {
    const id = String(raw);
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) throw new LtiError('platform_not_found', `No platform ${id}`);
    return id;
  };

  /** Approves a pending platform, or a pending registration request (which replaces the platform it names). */
  router.post('/admin/api/platforms/:id/approve', admin, async (req, res) => {
    res.json({ platform: await lti.registry.approve(idOf(req.params.id), 'admin') });
  });

  router.post('/admin/api/platforms/:id/disable', admin, async (req, res) => {
    res.json({ platform: await lti.registry.setStatus(idOf(req.params.id), 'disabled') });
  });

  /** Rejects a pending registration request; the platform it named stays as it is. */
  router.post('/admin/api/platforms/:id/reject', admin, async (req, res) => {
    res.json({ request: await lti.registry.reject(idOf(req.params.id), 'admin') });
  });

  router.use(ltiErrorHandler());
  return router;
}
