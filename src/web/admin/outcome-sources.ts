/**
 * Admin API for a platform's outcome sources beyond AGS (bearer `ADMIN_TOKEN`):
 *
 * - `PUT /admin/api/platforms/:id/connector` `{kind: "moodle"|"canvas", baseUrl, token}`
 *   sets the REST connector (a Moodle web services token or a Canvas API token) that
 *   lets criteria name any activity of the course, not only LTI ones. The token is
 *   stored encrypted under SELLO_KEK and never returned.
 * - `POST /admin/api/platforms/:id/webhook-secret` makes a new HMAC secret for
 *   `POST /api/outcomes` and shows it once (calling it again rotates it); it is stored
 *   encrypted, and no route shows it again.
 * - `GET /admin/api/platforms/:id/outcome-sources` shows what is configured: the
 *   connector's kind and base URL, and whether a token and a webhook secret are set —
 *   never the token or secret themselves, which it does not even decrypt.
 */
import crypto from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import { HttpError } from '../../errors.ts';
import type { Database } from '../../storage/database.ts';
import { createOutcomeSecretRepository } from '../../storage/outcome-secret-repository.ts';
import { createPlatformRepository } from '../../storage/platform-repository.ts';
import { requireAdminToken } from './auth.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A connector as the admin API and `sello platforms connector` accept it. */
export const connectorSchema = z.object({
  kind: z.enum(['moodle', 'canvas']),
  // The LMS's site root, e.g. https://moodle.example.edu or https://canvas.example.edu.
  baseUrl: z
    .string()
    .url()
    .refine((value) => /^https?:\/\//.test(value), 'must be an http(s) URL')
    .transform((value) => value.replace(/\/+$/, '')),
  token: z.string().trim().min(8, 'looks too short for an LMS token').max(512),
});

export function adminOutcomeSourcesRouter({ db, kek, adminToken }: { db: Database; kek: Buffer; adminToken: string }): Router {
  const router = Router();
  const admin = requireAdminToken(adminToken);
  const outcomeSecrets = createOutcomeSecretRepository({ db, kek });
  const platforms = createPlatformRepository(db);

  const findPlatform = async (id: string) => {
    const platform = UUID.test(id) ? await platforms.findById(id) : null;
    if (!platform) throw new HttpError('not_found', `No platform ${id}`, { platformId: id });
    return platform;
  };

  router.get('/admin/api/platforms/:id/outcome-sources', admin, async (req, res) => {
    const platform = await findPlatform(String(req.params.id));
    res.json({ platformId: platform.id, ...(await outcomeSecrets.describeOutcomeSources(platform.id)) });
  });

  router.put('/admin/api/platforms/:id/connector', admin, async (req, res) => {
    const platform = await findPlatform(String(req.params.id));
    const parsed = connectorSchema.safeParse(req.body ?? {});
    if (!parsed.success) {
      throw new HttpError('invalid_request', 'The connector needs kind (moodle or canvas), baseUrl and token', {
        problems: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`),
      });
    }
    await outcomeSecrets.setConnector({ platformId: platform.id, ...parsed.data });
    res.json({ platformId: platform.id, kind: parsed.data.kind, baseUrl: parsed.data.baseUrl });
  });

  router.post('/admin/api/platforms/:id/webhook-secret', admin, async (req, res) => {
    const platform = await findPlatform(String(req.params.id));
    const secret = `whsec_${crypto.randomBytes(32).toString('base64url')}`;
    await outcomeSecrets.setWebhookSecret(platform.id, secret);
    res.status(201).json({
      platformId: platform.id,
      secret,
      note: 'Shown once. Sign each POST /api/outcomes with HMAC-SHA256 of "<timestamp>.<raw body>" under this secret.',
    });
  });
  return router;
}
