/**
 * `/admin/issuer`: the institution's profile as credentials name it (OB 3.0 `Profile`:
 * name, url, image, email, description). The public credential page, its LinkedIn "Add to
 * profile" link and every credential issued from now on read it from the issuers table;
 * credentials already signed keep the profile they were signed with.
 */
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Queryable } from '../../storage/database.ts';
import { createAuditRepository } from '../../storage/audit-repository.ts';
import { createIssuerRepository, DEFAULT_ISSUER_SLUG, type Issuer } from '../../storage/issuer-repository.ts';
import type { Locale } from '../i18n.ts';
import { fieldErrors, redirectDone, renderAdminPage, type AdminPageContext, type FieldErrors } from './admin-page.ts';

const httpsUrl = z
  .string()
  .trim()
  .max(2000)
  .url()
  .refine((value) => value.startsWith('https://'));
const optional = <T extends z.ZodTypeAny>(schema: T) => z.union([z.literal('').transform(() => null), schema]);

/** The profile form; an empty optional field clears it. */
export const issuerProfileSchema = z.object({
  name: z.string().trim().min(1).max(200),
  url: httpsUrl,
  email: optional(z.string().trim().max(254).email()),
  imageUrl: optional(httpsUrl),
  description: optional(z.string().trim().max(2000)),
});

export function adminIssuerRouter({ db, context }: { db: Queryable; context: AdminPageContext }): Router {
  const router = Router();
  const issuers = createIssuerRepository(db);
  const requireSession = context.session.require();

  const show = async (req: Request, res: Response, issuer: Issuer, values: Record<string, unknown>, errors: FieldErrors = {}, status = 200) => {
    const all = await issuers.list();
    renderAdminPage(context, req, res, {
      page: 'admin-issuer',
      section: 'issuer',
      titleKey: 'admin.issuer.title',
      status,
      data: { issuer, values, errors, others: all.length > 1 ? all.map((one) => ({ slug: one.slug, name: one.name, current: one.id === issuer.id })) : [] },
    });
  };
  const issuerOf = async (raw: unknown) => (await issuers.findBySlug(typeof raw === 'string' && raw ? raw : DEFAULT_ISSUER_SLUG)) ?? (await issuers.findBySlug(DEFAULT_ISSUER_SLUG));

  router.get('/admin/issuer', requireSession, async (req, res) => {
    const issuer = await issuerOf(req.query.slug);
    if (!issuer) throw new Error('The default issuer is created at start');
    await show(req, res, issuer, {
      name: issuer.name,
      url: issuer.url,
      email: issuer.email ?? '',
      imageUrl: issuer.imageUrl ?? '',
      description: issuer.description ?? '',
    });
  });

  router.post('/admin/issuer', requireSession, async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const issuer = await issuerOf(body.slug);
    if (!issuer) throw new Error('The default issuer is created at start');
    const values = Object.fromEntries(['name', 'url', 'email', 'imageUrl', 'description'].map((field) => [field, typeof body[field] === 'string' ? body[field] : '']));
    const parsed = issuerProfileSchema.safeParse(values);
    if (!parsed.success) {
      const locale = res.locals.locale as Locale;
      await show(req, res, issuer, values, fieldErrors(locale, parsed.error.issues, (field) => `admin.issuer.error.${field}`), 400);
      return;
    }
    await issuers.updateProfile(issuer.id, parsed.data);
    await createAuditRepository(db).record({ actor: 'admin', action: 'issuer.profile_updated', subject: issuer.id, details: { slug: issuer.slug } });
    redirectDone(res, issuer.slug === DEFAULT_ISSUER_SLUG ? '/admin/issuer' : `/admin/issuer?slug=${encodeURIComponent(issuer.slug)}`, 'profile');
  });
  return router;
}
