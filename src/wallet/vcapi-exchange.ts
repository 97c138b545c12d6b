/**
 * VC-API exchanges (https://w3c-ccg.github.io/vc-api/#exchanges), the protocol of the
 * Learner Credential Wallet and of LearnCard's "claim from request": a learner's badge
 * claimed by their wallet, bound to the wallet's DID.
 *
 * 1. Sello shows a deep link / QR: `https://lcw.app/request?request=<JSON>` with
 *    `{credentialRequestOrigin, protocols: {vcapi: <exchange URL>}}`, and an interaction
 *    URL (`…?iuv=1`) answering `{protocols}` for wallets that start from one.
 * 2. The wallet POSTs `{}` to the exchange URL; Sello answers a Verifiable Presentation
 *    Request (https://w3c-ccg.github.io/vp-request-spec/) with one `DIDAuthentication`
 *    query, the exchange's `challenge` and Sello's `domain`.
 * 3. The wallet POSTs `{verifiablePresentation}` signed by its `did:key` (proof purpose
 *    authentication, that challenge and domain); Sello checks it and answers
 *    `{verifiablePresentation}` holding a NEW credential of the same award whose
 *    `credentialSubject.id` is the wallet's DID, signed and anchored like every other.
 *
 * An exchange is single use and expires (`EXCHANGE_TTL_SECONDS`); its id in the URL is a
 * random 256-bit bearer secret kept only as a hash. A presentation that fails leaves the
 * exchange open: only the learner's own wallet can finish it, and a forgery must not burn it.
 */
import crypto from 'node:crypto';
import { base64url } from 'jose';
import type { Database } from '../storage/database.ts';
import { createCredentialRepository } from '../storage/credential-repository.ts';
import { createVcapiExchangeRepository, type StoredExchange } from '../storage/vcapi-exchange-repository.ts';
import { CredentialError } from '../credentials/errors.ts';
import { didOf } from '../credentials/did.ts';
import { createDocumentLoader, resolveDidKeyOnly } from '../credentials/document-loader.ts';
import { verifyPresentation } from '../credentials/verify-presentation.ts';
import type { ChainReference } from '../credentials/chain-reference.ts';
import type { IssuerKeyProvider } from '../issuance/issuer-keys.ts';
import { bindToHolder } from './bind-to-holder.ts';
import { ExchangeError } from './vcapi-exchange-error.ts';

/** How long an exchange stays usable: long enough to find one's phone and open the wallet. */
export const EXCHANGE_TTL_SECONDS = 900;
/** The local workflow id of the one workflow Sello runs (https://w3c-ccg.github.io/vc-api/#workflows-and-exchanges). */
export const CLAIM_WORKFLOW_ID = 'claim-badge';

const VC_V2_CONTEXT = 'https://www.w3.org/ns/credentials/v2';

const sha256 = (value: string) => crypto.createHash('sha256').update(value).digest('hex');

/** URLs of an exchange, from Sello's public URL and the exchange's token. */
export function exchangeUrls(publicUrl: string, token: string) {
  const exchange = `${publicUrl}/workflows/${CLAIM_WORKFLOW_ID}/exchanges/${token}`;
  return {
    exchange,
    /** Interaction URL (`iuv=1`): answers `{protocols}` to a wallet asking for JSON. */
    interaction: `${exchange}/protocols?iuv=1`,
  };
}

/** The DIDAuth domain: Sello's host, as the wallet signs it into its proof. */
export const exchangeDomain = (publicUrl: string) => new URL(publicUrl).host;

/**
 * The wallet deep link (`https://lcw.app/request?request=…`): the Learner Credential
 * Wallet's universal link, which LearnCard reads the same way; its `request` parameter is
 * the JSON `{credentialRequestOrigin, protocols: {vcapi}}`.
 */
export function walletRequestLink(publicUrl: string, exchangeUrl: string): string {
  const request = JSON.stringify({ credentialRequestOrigin: new URL(publicUrl).origin, protocols: { vcapi: exchangeUrl } });
  return `https://lcw.app/request?request=${encodeURIComponent(request)}`;
}

export interface CreatedExchange {
  exchangeUrl: string;
  interactionUrl: string;
  /** The same-device link and QR content. */
  walletLink: string;
  expiresAt: Date;
}

/**
 * Opens an exchange for a credential Sello issued; `userId`, when given, must be its recipient.
 *
 * @throws CredentialError `credential_not_found` for an unknown credential or another learner's.
 */
export async function createClaimExchange(params: { db: Database; publicUrl: string; credentialId: string; userId?: string; now?: Date }): Promise<CreatedExchange> {
  const credential = await createCredentialRepository(params.db).findById(params.credentialId);
  if (!credential || (params.userId !== undefined && credential.recipientUserId !== params.userId)) {
    throw new CredentialError('credential_not_found', 'No credential of yours with this id', { id: params.credentialId });
  }
  const now = params.now ?? new Date();
  const token = base64url.encode(crypto.randomBytes(32));
  const expiresAt = new Date(now.getTime() + EXCHANGE_TTL_SECONDS * 1000);
  await createVcapiExchangeRepository(params.db).create({
    id: crypto.randomUUID(),
    tokenHash: sha256(token),
    credentialId: credential.id,
    challenge: crypto.randomUUID(),
    createdAt: now,
    expiresAt,
  });
  const urls = exchangeUrls(params.publicUrl, token);
  return { exchangeUrl: urls.exchange, interactionUrl: urls.interaction, walletLink: walletRequestLink(params.publicUrl, urls.exchange), expiresAt };
}

/**
 * The exchange behind a token while it can still be used.
 *
 * @throws ExchangeError `exchange_not_found`, `exchange_expired`, `exchange_complete`.
 */
async function openExchange(db: Database, token: string, now: Date): Promise<StoredExchange> {
  const exchange = await createVcapiExchangeRepository(db).findByToken(sha256(token));
  if (!exchange) throw new ExchangeError('exchange_not_found', 'No exchange at this URL; ask for a new one on your badge page');
  if (exchange.state === 'complete') throw new ExchangeError('exchange_complete', 'This exchange was used already: the credential went to a wallet', { state: exchange.state });
  if (exchange.state === 'invalid') throw new ExchangeError('exchange_expired', 'This exchange failed and cannot be used again; ask for a new one', { state: exchange.state });
  if (exchange.expiresAt <= now) throw new ExchangeError('exchange_expired', 'This exchange has expired; ask for a new one on your badge page', { expires: exchange.expiresAt.toISOString() });
  return exchange;
}

/**
 * The interaction URL's answer (`{protocols}`), for wallets that start from it.
 *
 * @throws ExchangeError as `openExchange`.
 */
export async function exchangeProtocols(params: { db: Database; publicUrl: string; token: string; now?: Date }): Promise<{ protocols: { vcapi: string } }> {
  await openExchange(params.db, params.token, params.now ?? new Date());
  return { protocols: { vcapi: exchangeUrls(params.publicUrl, params.token).exchange } };
}

/** The exchange's state (https://w3c-ccg.github.io/vc-api/#get-exchange-state), for whoever holds its URL. */
export async function exchangeState(params: { db: Database; publicUrl: string; token: string; now?: Date }): Promise<Record<string, unknown>> {
  const exchange = await createVcapiExchangeRepository(params.db).findByToken(sha256(params.token));
  if (!exchange) throw new ExchangeError('exchange_not_found', 'No exchange at this URL; ask for a new one on your badge page');
  const expired = exchange.state !== 'complete' && exchange.expiresAt <= (params.now ?? new Date());
  return {
    exchange: {
      id: exchangeUrls(params.publicUrl, params.token).exchange,
      workflow: CLAIM_WORKFLOW_ID,
      state: expired ? 'invalid' : exchange.state,
      expires: exchange.expiresAt.toISOString(),
    },
  };
}

export interface ParticipateParameters {
  db: Database;
  keys: IssuerKeyProvider;
  publicUrl: string;
  chainReference: ChainReference | null;
  token: string;
  body: unknown;
  now?: () => Date;
}

/**
 * One step of the exchange (https://w3c-ccg.github.io/vc-api/#participate-in-an-exchange):
 * `{}` → the DIDAuth request; `{verifiablePresentation}` → the DID-bound credential in a
 * presentation.
 *
 * @throws ExchangeError every code of `ExchangeErrorCode`.
 */
export async function participateInExchange(params: ParticipateParameters): Promise<Record<string, unknown>> {
  const now = params.now?.() ?? new Date();
  const body = params.body;
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new ExchangeError('invalid_exchange_request', 'The body must be a JSON object: {} to start, then {"verifiablePresentation": {…}}');
  }
  const exchange = await openExchange(params.db, params.token, now);
  const presentation = (body as { verifiablePresentation?: unknown }).verifiablePresentation;
  const others = Object.keys(body).filter((key) => key !== 'verifiablePresentation');
  if (others.length > 0) throw new ExchangeError('invalid_exchange_request', 'Unknown members in the exchange request', { members: others });
  const repository = createVcapiExchangeRepository(params.db);
  if (presentation === undefined) {
    await repository.markActive(exchange.id);
    return didAuthenticationRequest(params.publicUrl, params.token, exchange.challenge);
  }

  const holderDid = await verifyDidAuthentication({ presentation, challenge: exchange.challenge, domain: exchangeDomain(params.publicUrl), now: () => now });
  const credentials = createCredentialRepository(params.db);
  const source = await credentials.findById(exchange.credentialId);
  const status = source ? await credentials.findStatus(source.id) : null;
  if (!source || status?.revoked) throw new ExchangeError('credential_unavailable', 'The credential of this exchange was revoked');
  // Completed before issuing: of two wallets racing with one exchange, one gets the credential.
  const completed = await repository.complete(exchange.id, holderDid, now);
  if (!completed) throw new ExchangeError('exchange_complete', 'This exchange was used already: the credential went to a wallet');
  let bound;
  try {
    bound = await bindToHolder({ ...params, source, holderDid, via: { protocol: 'vcapi', exchangeId: exchange.id } });
  } catch (error) {
    await repository.invalidate(exchange.id);
    throw error;
  }
  if (!bound) {
    await repository.invalidate(exchange.id);
    throw new ExchangeError('credential_unavailable', 'The issuer of this credential is gone');
  }
  return {
    verifiablePresentation: {
      '@context': [VC_V2_CONTEXT],
      type: ['VerifiablePresentation'],
      verifiableCredential: [bound.document],
    },
  };
}

/** The Verifiable Presentation Request of step 2 (https://w3c-ccg.github.io/vp-request-spec/#did-authentication). */
function didAuthenticationRequest(publicUrl: string, token: string, challenge: string): Record<string, unknown> {
  return {
    verifiablePresentationRequest: {
      query: [
        {
          type: 'DIDAuthentication',
          acceptedMethods: [{ method: 'key' }],
          acceptedCryptosuites: [{ cryptosuite: 'eddsa-rdfc-2022' }, { cryptosuite: 'Ed25519Signature2020' }],
        },
      ],
      challenge,
      domain: exchangeDomain(publicUrl),
      interact: {
        service: [{ type: 'UnmediatedHttpPresentationService2021', serviceEndpoint: exchangeUrls(publicUrl, token).exchange }],
      },
    },
  };
}

/**
 * Checks a DIDAuth presentation: signed (Data Integrity, `eddsa-rdfc-2022`, purpose
 * authentication) for this exchange's challenge and domain by a key of its holder's
 * `did:key`. Returns the holder's DID.
 *
 * @throws ExchangeError `invalid_did_authentication` (`details.error` names the failed
 *   check), `unsupported_did_method`.
 */
export async function verifyDidAuthentication(params: { presentation: unknown; challenge: string; domain: string; now?: () => Date }): Promise<string> {
  const vp = params.presentation;
  if (!vp || typeof vp !== 'object' || Array.isArray(vp)) {
    throw new ExchangeError('invalid_did_authentication', 'verifiablePresentation must be a signed presentation object', { error: 'not_an_object' });
  }
  const record = vp as Record<string, unknown>;
  const proof = [record.proof].flat()[0] as Record<string, unknown> | undefined;
  const method = proof && typeof proof.verificationMethod === 'string' ? proof.verificationMethod : null;
  const holder = typeof record.holder === 'string' ? record.holder : typeof (record.holder as { id?: unknown } | undefined)?.id === 'string' ? (record.holder as { id: string }).id : null;
  const holderDid = holder ?? (method ? didOf(method) : null);
  if (holderDid && !holderDid.startsWith('did:key:')) {
    throw new ExchangeError('unsupported_did_method', 'Sello binds credentials to did:key holders (DIDAuthentication acceptedMethods)', { holder: holderDid });
  }
  const report = await verifyPresentation(vp, {
    challenge: params.challenge,
    domain: params.domain,
    documentLoader: createDocumentLoader({ resolveDid: resolveDidKeyOnly }),
    // A DIDAuth presentation carries no credentials, so no status list is ever read.
    statusListLoader: async () => {
      throw new ExchangeError('invalid_did_authentication', 'A DIDAuth presentation carries no credentials');
    },
    now: params.now,
  });
  if (!report.presentation.valid || report.presentation.skipped) {
    throw new ExchangeError('invalid_did_authentication', 'The presentation does not prove the holder\'s DID for this exchange', {
      error: report.presentation.error ?? 'invalid_presentation_proof',
      ...(typeof report.presentation.details?.message === 'string' ? { reason: report.presentation.details.message } : {}),
    });
  }
  if (!holderDid) throw new ExchangeError('invalid_did_authentication', 'The presentation names no holder', { error: 'missing_holder' });
  return holderDid;
}
