/**
 * VC-API exchanges over HTTP (https://w3c-ccg.github.io/vc-api/#exchanges); the protocol
 * itself is `src/wallet/vcapi-exchange.ts`.
 *
 * - `POST /app/learner/credentials/:id/exchange` (learner's LTI launch): an exchange for one
 *   of their credentials → 201 `{exchange_url, interaction_url, wallet_link, expires_at}`
 * - `POST /workflows/claim-badge/exchanges/:exchangeId`: `{}` → the DIDAuth request;
 *   `{verifiablePresentation}` → the DID-bound credential in a presentation
 * - `GET /workflows/claim-badge/exchanges/:exchangeId`: the exchange's state
 * - `GET /workflows/claim-badge/exchanges/:exchangeId/protocols` (the interaction URL,
 *   `?iuv=1`): `{protocols: {vcapi}}`
 *
 * Errors are `{code, message, details?}` from the app's error handler, with the status of `exchangeStatus`.
 */
import express, { type Response, type Router } from 'express';
import type { Database } from '../../../storage/database.ts';
import type { ChainReference } from '../../../credentials/chain-reference.ts';
import type { IssuerKeyProvider } from '../../../issuance/issuer-keys.ts';
import type { Launch, RequireLaunch } from '../../../lti/require-launch.ts';
import { rateLimit } from '../../rate-limit.ts';
import { CLAIM_WORKFLOW_ID, createClaimExchange, exchangeProtocols, exchangeState, participateInExchange } from '../../../wallet/vcapi-exchange.ts';

export interface VcapiExchangeRoutesDependencies {
  db: Database;
  keys: IssuerKeyProvider;
  publicUrl: string;
  chainReference: () => ChainReference | null;
  /** The learner's LTI launch; absent = no learner route (tests of the protocol alone). */
  requireLaunch?: RequireLaunch;
  /** Exchange steps per minute per client (each DIDAuth check costs a signature verification); default 60. */
  perMinute?: number;
  now?: () => Date;
}

const noStore = (res: Response) => res.set('cache-control', 'no-store');

export function vcapiExchangeRouter(deps: VcapiExchangeRoutesDependencies): Router {
  const router = express.Router();
  const now = () => deps.now?.() ?? new Date();
  const base = `/workflows/${CLAIM_WORKFLOW_ID}/exchanges/:exchangeId`;
  const limitRate = rateLimit({ perMinute: deps.perMinute ?? 60 });

  if (deps.requireLaunch) {
    router.post('/app/learner/credentials/:id/exchange', deps.requireLaunch({ roles: 'learner' }), async (req, res) => {
      const launch = res.locals.launch as Launch;
      const exchange = await createClaimExchange({ db: deps.db, publicUrl: deps.publicUrl, credentialId: String(req.params.id), userId: launch.userId, now: now() });
      noStore(res).status(201).json({
        exchange_url: exchange.exchangeUrl,
        interaction_url: exchange.interactionUrl,
        wallet_link: exchange.walletLink,
        expires_at: exchange.expiresAt.toISOString(),
      });
    });
  }

  // Nothing of an exchange is cached, its errors included (they go to the app's error handler).
  router.use(base, (_req, res, next) => {
    noStore(res);
    next();
  });
  router.post(base, limitRate, async (req, res) => {
    const answer = await participateInExchange({
      db: deps.db,
      keys: deps.keys,
      publicUrl: deps.publicUrl,
      chainReference: deps.chainReference(),
      token: String(req.params.exchangeId),
      // An empty POST (no body, or no JSON content type) is the wallet's `{}`.
      body: req.body === undefined ? {} : req.body,
      now: deps.now,
    });
    noStore(res).json(answer);
  });

  router.get(base, async (req, res) => {
    noStore(res).json(await exchangeState({ db: deps.db, publicUrl: deps.publicUrl, token: String(req.params.exchangeId), now: now() }));
  });

  router.get(`${base}/protocols`, async (req, res) => {
    noStore(res).json(await exchangeProtocols({ db: deps.db, publicUrl: deps.publicUrl, token: String(req.params.exchangeId), now: now() }));
  });

  return router;
}
