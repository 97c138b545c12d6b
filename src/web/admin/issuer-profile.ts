/**
 * `/admin/issuer`: the institution's profile as credentials name it (OB 3.0 `Profile`:
 * name, url, image, email, description). The public credential page, its LinkedIn "Add to
 * profile" link and every credential issued from now on read it from the issuers table;
 * credentials already signed keep the profile they were signed with.
 */
import crypto from 'node:crypto';
import express, { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { readBadgeUpload } from '../../credentials/badge-upload.ts';
import type { Queryable } from '../../storage/database.ts';
import { createAuditRepository } from '../../storage/audit-repository.ts';
import { createIssuerRepository, DEFAULT_ISSUER_SLUG, type Issuer } from '../../storage/issuer-repository.ts';
import { translate, type Locale } from '../i18n.ts';
import { fieldErrors, redirectDone, renderAdminPage, type AdminPageContext, type FieldErrors } from './admin-page.ts';

const httpsUrl = z
  .string()
  .trim()
  .max(2000)
  .url()
  .refine((value) => value.startsWith('https://'));
const optional = <T extends z.ZodTypeAny>(schema: T) => z.union([z.literal('').transform(() => null), schema]);

/** Largest logo upload: it is fetched by every page and wallet that shows a credential. */
export const ISSUER_LOGO_MAX_BYTES = 64 * 1024;

/** Where an issuer's uploaded logo is served (public), with a version that changes with it. */
export function issuerLogoUrl(publicUrl: string, slug: string, bytes: Buffer): string {
  return `${publicUrl}/issuers/${encodeURIComponent(slug)}/logo?v=${crypto.createHash('sha256').update(bytes).digest('hex').slice(0, 12)}`;
}

/** The profile form; an empty optional field clears it. The logo may also be the uploaded one, served by this Sello. */
export function issuerProfileSchema(publicUrl: string) {
  const ownLogo = z
    .string()
    .trim()
    .refine((value) => value.startsWith(`${publicUrl}/issuers/`) && /\/logo\?v=[0-9a-f]{12}$/.test(value));
  return z.object({
    name: z.string().trim().min(1).max(200),
    url: httpsUrl,
    email: optional(z.string().trim().max(254).email()),
    imageUrl: optional(z.union([httpsUrl, ownLogo])),
    description: optional(z.string().trim().max(2000)),
  });
}

export function adminIssuerRouter({ db, publicUrl, context }: { db: Queryable; publicUrl: string; context: AdminPageContext }): Router {
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
      data: { issuer, values, errors, maxKb: ISSUER_LOGO_MAX_BYTES / 1024, others: all.length > 1 ? all.map((one) => ({ slug: one.slug, name: one.name, current: one.id === issuer.id })) : [] },
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
    const parsed = issuerProfileSchema(publicUrl).safeParse(values);
    if (!parsed.success) {
      const locale = res.locals.locale as Locale;
      await show(req, res, issuer, values, fieldErrors(locale, parsed.error.issues, (field) => `admin.issuer.error.${field}`), 400);
      return;
    }
    await issuers.updateProfile(issuer.id, parsed.data);
    await createAuditRepository(db).record({ actor: 'admin', action: 'issuer.profile_updated', subject: issuer.id, details: { slug: issuer.slug } });
    redirectDone(res, issuer.slug === DEFAULT_ISSUER_SLUG ? '/admin/issuer' : `/admin/issuer?slug=${encodeURIComponent(issuer.slug)}`, 'profile');
  });
  router.post(
    '/admin/issuer/logo',
    requireSession,
    express.raw({ type: 'multipart/form-data', limit: ISSUER_LOGO_MAX_BYTES + 16 * 1024 }),
    async (req, res) => {
      const locale = res.locals.locale as Locale;
      // The platform's own multipart reader (undici's), as the badge image upload does.
      const form = Buffer.isBuffer(req.body)
        ? await new globalThis.Request('http://sello.invalid/', { method: 'POST', headers: { 'content-type': String(req.headers['content-type']) }, body: req.body })
            .formData()
            .catch(() => null)
        : null;
      if (!context.session.csrfMatches(req, form?.get('_admin_csrf'))) {
        res.status(403).type('text/plain').send(translate(locale, 'admin.error.csrf'));
        return;
      }
      const issuer = await issuerOf(form?.get('slug'));
      if (!issuer) throw new Error('The default issuer is created at start');
      const current = { name: issuer.name, url: issuer.url, email: issuer.email ?? '', imageUrl: issuer.imageUrl ?? '', description: issuer.description ?? '' };
      const file = form?.get('logo');
      const fail = async (key: string) => show(req, res, issuer, current, { logo: translate(locale, `admin.issuer.logoError.${key}`, { maxKb: ISSUER_LOGO_MAX_BYTES / 1024 }) }, 400);
      if (!file || typeof file === 'string' || file.size === 0) return fail('empty');
      if (file.size > ISSUER_LOGO_MAX_BYTES) return fail('too_large');
      const result = readBadgeUpload(Buffer.from(await file.arrayBuffer()));
      if (!result.ok) {
        const key = ['too_large', 'empty', 'unsupported_type'].includes(result.problem) ? result.problem : result.problem.startsWith('svg') ? 'svg' : 'png';
        return fail(key);
      }
      // The sanitized bytes, not the upload: what the data URI carries.
      const bytes = Buffer.from(result.dataUri.slice(result.dataUri.indexOf(',') + 1), 'base64');
      await issuers.setLogo(issuer.id, { bytes, mediaType: result.mediaType, imageUrl: issuerLogoUrl(publicUrl, issuer.slug, bytes) });
      await createAuditRepository(db).record({ actor: 'admin', action: 'issuer.profile_updated', subject: issuer.id, details: { slug: issuer.slug, logo: result.mediaType } });
      redirectDone(res, issuer.slug === DEFAULT_ISSUER_SLUG ? '/admin/issuer' : `/admin/issuer?slug=${encodeURIComponent(issuer.slug)}`, 'profile');
    },
  );
  return router;
}
