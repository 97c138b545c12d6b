/**
 * `/status/:id`: the signed Bitstring Status List credentials
 * (https://www.w3.org/TR/vc-bitstring-status-list/#bitstringstatuslistcredential).
 */
import express, { type Router } from 'express';
import type { Queryable } from '../../storage/database.ts';
import type { IssuerKeyProvider } from '../../issuance/issuer-keys.ts';
import { getStatusListCredential } from '../../issuance/credential-status.ts';

/** `GET /status/:id`; unknown ids answer 404 `status_list_not_found`. */
export function statusRouter(deps: { db: Queryable; keys: IssuerKeyProvider; publicUrl: string; now?: () => Date }): Router {
  const router = express.Router();
  router.get('/status/:id', async (req, res) => {
    const list = await getStatusListCredential({ db: deps.db, keys: deps.keys, publicUrl: deps.publicUrl, listId: String(req.params.id), now: deps.now });
    // Short cache: a revocation must show within a minute, and verifiers poll.
    // Readable by verifier pages anywhere (the downloadable verifier runs from a file).
    res.set({ 'cache-control': 'public, max-age=60', 'access-control-allow-origin': '*' }).type('application/vc+ld+json').send(JSON.stringify(list));
  });
  return router;
}
