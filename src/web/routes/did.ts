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
import type { IssuerKeyProvider } from '../../issuance/issuer-keys.ts';

export function didRouter(deps: { db: Queryable; keys: IssuerKeyProvider }): Router {
  const router = express.Router();
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
