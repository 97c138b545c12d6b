/**
 * DID documents of this deployment's did:web issuers
 * (https://w3c-ccg.github.io/did-method-web/#read-resolve): the default issuer at
 * `/.well-known/did.json`, the others at `/issuers/<slug>/did.json`. Only public keys,
 * with their validity and revocation, are listed.
 */
import express, { type Router } from 'express';
import type { Queryable } from '../../storage/database.ts';
import { createIssuerRepository, DEFAULT_ISSUER_SLUG } from '../../storage/issuer-repository.ts';
import { CredentialError } from '../../credentials/errors.ts';
import { HttpError } from '../../errors.ts';
import { issuerKeyJson, type IssuerKeyProvider } from '../../issuance/issuer-keys.ts';
import { requireAdminToken } from '../admin/auth.ts';

export interface DidRouterDependencies {
  db: Queryable;
  keys: IssuerKeyProvider;
  adminToken: string;
  /**
   * Called after a key was rotated or revoked, for the composition root to bring the
   * on-chain key registry in line (`registerIssuerKeys`); errors are its to handle.
   */
  onKeysChanged?: () => void;
}

/**
 * Also the admin API behind `sello keys` (bearer `ADMIN_TOKEN`):
 * `GET /admin/api/issuers/:slug/keys`, `POST /admin/api/issuers/:slug/keys/rotate` `{reason?}`,
 * `POST /admin/api/issuers/:slug/keys/revoke` `{keyId, reason}` → `{key, changed}`.
 *
 * Errors: `unauthorized`, `did_not_found` (no such issuer), `invalid_request` (no keyId or
 * reason), `issuer_key_not_found`, `current_key_revoke_conflict` (409: rotate first).
 */
export function didRouter(deps: DidRouterDependencies): Router {
  const router = express.Router();
  const admin = requireAdminToken(deps.adminToken);
  const issuerBySlug = async (slug: string) => {
    const issuer = await createIssuerRepository(deps.db).findBySlug(slug);
    if (!issuer) throw new CredentialError('did_not_found', `No issuer ${slug}`, { slug });
    return issuer;
  };
  router.get('/admin/api/issuers/:slug/keys', admin, async (req, res) => {
    const issuer = await issuerBySlug(String(req.params.slug));
    res.json({ keys: (await deps.keys.list(issuer.id)).map(issuerKeyJson) });
  });
  router.post('/admin/api/issuers/:slug/keys/rotate', admin, async (req, res) => {
    const issuer = await issuerBySlug(String(req.params.slug));
    const reason = typeof req.body?.reason === 'string' && req.body.reason.trim() ? req.body.reason.trim() : 'rotation';
    await deps.keys.ensureKey(issuer.id);
    const rotated = await deps.keys.rotate(issuer.id, { actor: 'admin', reason });
    deps.onKeysChanged?.();
    res.status(201).json({ key: issuerKeyJson(rotated) });
  });
  router.post('/admin/api/issuers/:slug/keys/revoke', admin, async (req, res) => {
    const body = (req.body ?? {}) as { keyId?: unknown; reason?: unknown };
    if (typeof body.keyId !== 'string' || !body.keyId.trim()) throw new HttpError('invalid_request', 'Give {"keyId": "…", "reason": "…"}');
    if (typeof body.reason !== 'string' || !body.reason.trim()) throw new HttpError('invalid_request', 'A reason is required');
    const issuer = await issuerBySlug(String(req.params.slug));
    const { key, changed } = await deps.keys.revoke(issuer.id, { keyId: body.keyId.trim(), reason: body.reason, actor: 'admin' });
    if (changed) deps.onKeysChanged?.();
    res.json({ key: issuerKeyJson(key), changed });
  });
  const serve = (slug: string): express.RequestHandler => async (_req, res) => {
    const issuer = await createIssuerRepository(deps.db).findBySlug(slug);
    if (!issuer || issuer.didMethod !== 'web') {
      throw new CredentialError('did_not_found', `No did:web issuer ${slug} on this deployment`, { slug });
    }
    const document = await deps.keys.didDocument(issuer.id);
    // Public, credential-free documents: any verifier page (another origin, or a file on
    // disk) may read them, as it may read status lists.
    res.set({ 'cache-control': 'public, max-age=300', 'access-control-allow-origin': '*' }).type('application/did+json').send(JSON.stringify(document, null, 2));
  };
  router.get('/.well-known/did.json', serve(DEFAULT_ISSUER_SLUG));
  router.get('/issuers/:slug/did.json', (req, res, next) => serve(String(req.params.slug))(req, res, next));
  return router;
}
