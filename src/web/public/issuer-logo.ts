/**
 * `GET /issuers/:slug/logo`: the logo an administrator uploaded on /admin/issuer, which
 * the issuer profile (`image`) of new credentials, the public credential page and LinkedIn
 * point at. PNG as stored; SVG (sanitized at upload) under the same CSP as badge SVGs.
 */
import { Router } from 'express';
import type { Queryable } from '../../storage/database.ts';
import { createIssuerRepository } from '../../storage/issuer-repository.ts';
import { HttpError } from '../../errors.ts';
import { SVG_CSP } from '../security-headers.ts';

export function issuerLogoRouter({ db }: { db: Queryable }): Router {
  const router = Router();
  router.get('/issuers/:slug/logo', async (req, res) => {
    const logo = await createIssuerRepository(db).findLogo(String(req.params.slug));
    if (!logo) throw new HttpError('not_found', 'This issuer has no uploaded logo');
    if (logo.mediaType === 'image/svg+xml') res.set('content-security-policy', SVG_CSP);
    // The URL carries a version (?v=) that changes with the logo.
    res.set({ 'cache-control': 'public, max-age=86400', 'access-control-allow-origin': '*', 'x-content-type-options': 'nosniff' }).type(logo.mediaType).send(logo.bytes);
  });
  return router;
}
