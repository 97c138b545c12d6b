/**
 * DID documents of this deployment's did:web issuers
 * (https://w3c-ccg.github.io/did-method-web/#read-resolve): the default issuer at
 * `/.well-known/did.json`, the others at `/issuers/<slug>/did.json`. Only public keys,
 * with their validity, are listed.
 */
import express, { type Router } from 'express';
import type { Queryable } from '../../storage/database.ts';
import { createIssuerRepository, DEFAULT_ISSUER_SLUG } from '../../storage/issuer-repository.ts';
import { CredentialError } from '../../credentials/errors.ts';
import type { IssuerKeyProvider, IssuerKeyInfo } from '../../issuance/issuer-keys.ts';
import { requireAdminToken } from '../admin-auth.ts';

/** A key as the admin API shows it: public material and validity only. */
function keyJson(key: IssuerKeyInfo) {
  return {
    issuerDid: key.issuerDid,
    keyId: key.keyId,
    publicKeyMultibase: key.publicKeyMultibase,
    validFrom: key.validFrom.toISOString(),
    validUntil: key.validUntil?.toISOString() ?? null,
    revoked: key.revoked,
  };
}

/**
 * Also the admin API behind `sello keys` (bearer `ADMIN_TOKEN`):
 * `GET /admin/api/issuers/:slug/keys`, `POST /admin/api/issuers/:slug/keys/rotate` `{reason?}`.
 */
export function didRouter(deps: { db: Queryable; keys: IssuerKeyProvider; adminToken: string }): Router {
  const router = express.Router();
  const admin = requireAdminToken(deps.adminToken);
  const issuerBySlug = async (slug: string) => {
    const issuer = await createIssuerRepository(deps.db).findBySlug(slug);
    if (!issuer) throw new CredentialError('did_not_found', `No issuer ${slug}`, { slug });
    return issuer;
  };
  router.get('/admin/api/issuers/:slug/keys', admin, async (req, res) => {
    const issuer = await issuerBySlug(String(req.params.slug));
    res.json({ keys: (await deps.keys.list(issuer.id)).map(keyJson) });
  });
  router.post('/admin/api/issuers/:slug/keys/rotate', admin, async (req, res) => {
    const issuer = await issuerBySlug(String(req.params.slug));
    const reason = typeof req.body?.reason === 'string' && req.body.reason.trim() ? req.body.reason.trim() : 'rotation';
    await deps.keys.ensureKey(issuer.id);
    res.status(201).json({ key: keyJson(await deps.keys.rotate(issuer.id, { actor: 'admin', reason })) });
  });
  const serve = (slug: string): express.RequestHandler => async (_req, res) => {
    const issuer = await createIssuerRepository(deps.db).findBySlug(slug);
    if (!issuer || issuer.didMethod !== 'web') {
      throw new CredentialError('did_not_found', `No did:web issuer ${slug} on this deployment`, { slug });
    }
    const document = await deps.keys.didDocument(issuer.id);
    res.set('cache-control', 'public, max-age=300').type('application/did+json').send(JSON.stringify(document, null, 2));
  };
  router.get('/.well-known/did.json', serve(DEFAULT_ISSUER_SLUG));
  router.get('/issuers/:slug/did.json', (req, res, next) => serve(String(req.params.slug))(req, res, next));
  return router;
}
