/**
 * OpenID4VCI 1.0 over HTTP (https://openid.net/specs/openid-4-verifiable-credential-issuance-1_0.html),
 * pre-authorized code flow; the protocol itself is `src/wallet/openid4vci.ts`.
 *
 * - `GET /.well-known/openid-credential-issuer` and `/.well-known/oauth-authorization-server`
 * - `POST /app/learner/credentials/:id/offer` (learner's LTI launch; body `{tx_code: true}`
 *   asks for a transaction code): an offer for one of their credentials →
 *   `{offer_uri, credential_offer_uri, expires_at, tx_code?}`
 * - `GET /openid4vci/offers/:token`: the Credential Offer JSON
 * - `POST /openid4vci/token`, `POST /openid4vci/nonce`, `POST /openid4vci/credential`
 *
 * Protocol errors are answered as the specs spell them, `{error, error_description}`
 * (RFC 6749 §5.2, OpenID4VCI 1.0 §8.3.1.2), with Sello's `code` alongside.
 */
import express, { type ErrorRequestHandler, type Response, type Router } from 'express';
import type { Database } from '../../../storage/database.ts';
import type { ChainReference } from '../../../credentials/chain-reference.ts';
import type { IssuerKeyProvider } from '../../../issuance/issuer-keys.ts';
import type { Launch, RequireLaunch } from '../../../lti/require-launch.ts';
import {
  authorizationServerMetadata,
  createCredentialOffer,
  credentialIssuerMetadata,
  deliverCredential,
  exchangePreAuthorizedCode,
  issueNonce,
  offerOfAccessToken,
  resolveCredentialOffer,
} from '../../../wallet/openid4vci.ts';
import { Openid4vciError, openid4vciStatus } from '../../../wallet/openid4vci-error.ts';

export interface Openid4vciRoutesDependencies {
  db: Database;
  keys: IssuerKeyProvider;
  publicUrl: string;
  chainReference: () => ChainReference | null;
  /** The learner's LTI launch; absent = no learner offer route (tests of the protocol alone). */
  requireLaunch?: RequireLaunch;
  now?: () => Date;
}

/** Tokens, nonces and credentials must not be cached (RFC 6749 §5.1, OpenID4VCI §7.2). */
const noStore = (res: Response) => res.set('cache-control', 'no-store');

export function openid4vciRouter(deps: Openid4vciRoutesDependencies): Router {
  const router = express.Router();
  const now = () => deps.now?.() ?? new Date();

  router.get('/.well-known/openid-credential-issuer', (_req, res) => {
    res.json(credentialIssuerMetadata(deps.publicUrl));
  });
  router.get('/.well-known/oauth-authorization-server', (_req, res) => {
    res.json(authorizationServerMetadata(deps.publicUrl));
  });

  if (deps.requireLaunch) {
    router.post('/app/learner/credentials/:id/offer', deps.requireLaunch({ roles: 'learner' }), async (req, res) => {
      const launch = res.locals.launch as Launch;
      const txCode = (req.body as { tx_code?: unknown } | undefined)?.tx_code;
      if (txCode !== undefined && typeof txCode !== 'boolean') throw new Openid4vciError('invalid_request', 'tx_code must be true or false');
      const offer = await createCredentialOffer({ db: deps.db, publicUrl: deps.publicUrl, credentialId: String(req.params.id), userId: launch.userId, txCode: txCode === true, now: now() });
      noStore(res)
        .status(201)
        .json({ offer_uri: offer.offerUri, credential_offer_uri: offer.credentialOfferUri, expires_at: offer.expiresAt.toISOString(), ...(offer.txCode ? { tx_code: offer.txCode } : {}) });
    });
  }

  router.get('/openid4vci/offers/:token', async (req, res) => {
    noStore(res).json(await resolveCredentialOffer({ db: deps.db, publicUrl: deps.publicUrl, offerToken: String(req.params.token), now: now() }));
  });

  router.post('/openid4vci/token', async (req, res) => {
    noStore(res).json(await exchangePreAuthorizedCode({ db: deps.db, body: (req.body ?? {}) as Record<string, unknown>, now: now() }));
  });

  router.post('/openid4vci/nonce', async (_req, res) => {
    noStore(res).json(await issueNonce({ db: deps.db, now: now() }));
  });

  router.post('/openid4vci/credential', async (req, res) => {
    const offer = await offerOfAccessToken({ db: deps.db, authorization: req.get('authorization'), now: now() });
    const body = req.body && typeof req.body === 'object' && !Array.isArray(req.body) ? (req.body as Record<string, unknown>) : null;
    if (!body) throw new Openid4vciError('invalid_credential_request', 'The credential request is a JSON object');
    const answer = await deliverCredential({
      db: deps.db,
      keys: deps.keys,
      publicUrl: deps.publicUrl,
      chainReference: deps.chainReference(),
      offer,
      body,
      now: deps.now,
    });
    noStore(res).json(answer);
  });

  const protocolErrors: ErrorRequestHandler = (error, _req, res, next) => {
    if (!(error instanceof Openid4vciError)) {
      next(error);
      return;
    }
    // RFC 6750 §3: a bearer-token failure names its error in WWW-Authenticate too.
    if (error.code === 'invalid_token') res.set('www-authenticate', `Bearer error="invalid_token", error_description="${error.message}"`);
    noStore(res).status(openid4vciStatus[error.code]).json({ error: error.code, error_description: error.message, code: error.code, message: error.message });
  };
  router.use(protocolErrors);
  return router;
}
