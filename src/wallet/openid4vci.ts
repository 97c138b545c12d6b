/**
 * OpenID for Verifiable Credential Issuance 1.0, pre-authorized code flow
 * (https://openid.net/specs/openid-4-verifiable-credential-issuance-1_0.html): a wallet
 * scans a credential offer for a credential Sello issued, exchanges the offer's
 * single-use, short-lived code for an access token, and fetches the credential as
 * `ldp_vc` (a W3C VC secured with Data Integrity). When it proves possession of a
 * `did:key` / `did:jwk` key (a `jwt` proof), it receives a NEW credential of the same
 * award whose `credentialSubject.id` is that DID, signed, status-listed and anchored like
 * every other (it goes through `issueSubmittedCredential`); the award's credential keeps
 * track of it (`holder_bound_credentials`). Without a proof, the credential is
 * returned as issued.
 *
 * Secrets (offer URL token, pre-authorized code, access token, c_nonce) are random 256-bit
 * values stored only as SHA-256 hashes.
 */
import crypto from 'node:crypto';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import { base64url, decodeProtectedHeader, importJWK, jwtVerify, type JWK } from 'jose';
import type { Database } from '../storage/database.ts';
import { createCredentialRepository, type StoredCredential } from '../storage/credential-repository.ts';
import { createOpenid4vciRepository, type StoredOffer } from '../storage/openid4vci-repository.ts';
import { CredentialError } from '../credentials/errors.ts';
import { OB_V3_CONTEXT } from '../credentials/contexts.ts';
import { resolveDidKey } from '../credentials/did.ts';
import type { ChainReference } from '../credentials/chain-reference.ts';
import type { IssuerKeyProvider } from '../issuance/issuer-keys.ts';
import { Openid4vciError } from './openid4vci-error.ts';
import { bindToHolder } from './bind-to-holder.ts';

/** The grant type of the pre-authorized code flow (OpenID4VCI 1.0 §3.5). */
export const PRE_AUTHORIZED_GRANT = 'urn:ietf:params:oauth:grant-type:pre-authorized_code';
/** The one credential configuration Sello offers: an OB 3.0 credential as `ldp_vc`. */
export const OPEN_BADGE_CONFIGURATION_ID = 'OpenBadgeCredential_ldp_vc';
/** Proof JWT signing algorithms accepted from wallets. */
export const PROOF_ALGORITHMS = ['EdDSA', 'ES256'] as const;

/** How long an offer (and its code) stays usable: long enough to find one's phone. */
export const OFFER_TTL_SECONDS = 600;
/** Access token lifetime: one credential request round. */
export const ACCESS_TOKEN_TTL_SECONDS = 300;
/** c_nonce lifetime. */
export const NONCE_TTL_SECONDS = 300;
/** Digits of a transaction code (OpenID4VCI 1.0 §4.1.1 `tx_code`), when an offer asks for one. */
export const TX_CODE_LENGTH = 6;
/** Wrong transaction codes an offer survives: after these it expires (10^6 codes, 5 guesses). */
export const TX_CODE_MAX_ATTEMPTS = 5;
/** How far a proof's `iat` may lie from Sello's clock. */
const PROOF_MAX_SKEW_SECONDS = 300;

const VC_V2_CONTEXT = 'https://www.w3.org/ns/credentials/v2';

const sha256 = (value: string) => crypto.createHash('sha256').update(value).digest('hex');
/** A 6-digit code has few values: its hash is salted with the offer's id. */
const txCodeHashOf = (offerId: string, txCode: string) => sha256(`openid4vci tx_code|${offerId}|${txCode}`);
const randomToken = () => base64url.encode(crypto.randomBytes(32));
/** The offer's code, derived from its URL token: only the hash of either is stored. */
const codeOf = (offerToken: string) => base64url.encode(crypto.createHash('sha256').update(`openid4vci pre-authorized code|${offerToken}`).digest());

const endpoints = (publicUrl: string) => ({
  credentialIssuer: publicUrl,
  token: `${publicUrl}/openid4vci/token`,
  nonce: `${publicUrl}/openid4vci/nonce`,
  credential: `${publicUrl}/openid4vci/credential`,
  offer: (token: string) => `${publicUrl}/openid4vci/offers/${token}`,
});

/**
 * Credential Issuer Metadata (OpenID4VCI 1.0 §12.2), served at
 * `/.well-known/openid-credential-issuer`.
 */
export function credentialIssuerMetadata(publicUrl: string, displayName = 'Sello'): Record<string, unknown> {
  const e = endpoints(publicUrl);
  return {
    credential_issuer: e.credentialIssuer,
    credential_endpoint: e.credential,
    nonce_endpoint: e.nonce,
    display: [{ name: displayName, locale: 'en' }],
    credential_configurations_supported: {
      [OPEN_BADGE_CONFIGURATION_ID]: {
        format: 'ldp_vc',
        credential_definition: {
          '@context': [VC_V2_CONTEXT, OB_V3_CONTEXT],
          type: ['VerifiableCredential', 'OpenBadgeCredential'],
        },
        // Data Integrity cryptosuite of Sello's proofs (Appendix A.1.1: ldp_vc uses suite names).
        credential_signing_alg_values_supported: ['eddsa-rdfc-2022'],
        cryptographic_binding_methods_supported: ['did:key', 'did:jwk'],
        proof_types_supported: { jwt: { proof_signing_alg_values_supported: [...PROOF_ALGORITHMS] } },
        credential_metadata: { display: [{ name: 'Open Badge', locale: 'en' }] },
      },
    },
  };
}

/**
 * OAuth 2.0 Authorization Server Metadata (RFC 8414; OpenID4VCI 1.0 §12.3), served at
 * `/.well-known/oauth-authorization-server`: Sello is its own authorization server and
 * supports only the pre-authorized code grant, anonymously (no client authentication).
 */
export function authorizationServerMetadata(publicUrl: string): Record<string, unknown> {
  const e = endpoints(publicUrl);
  return {
    issuer: publicUrl,
    token_endpoint: e.token,
    grant_types_supported: [PRE_AUTHORIZED_GRANT],
    response_types_supported: [],
    token_endpoint_auth_methods_supported: ['none'],
    'pre-authorized_grant_anonymous_access_supported': true,
  };
}

export interface CreatedOffer {
  /** `openid-credential-offer://?credential_offer_uri=…`, for the QR code and the same-device link. */
  offerUri: string;
  /** Where the wallet fetches the offer JSON (single use, until `expiresAt`). */
  credentialOfferUri: string;
  expiresAt: Date;
  /** The transaction code the learner types into the wallet, when asked for (shown beside the QR, never in it). */
  txCode: string | null;
}

/**
 * Creates a credential offer (OpenID4VCI 1.0 §4.1) by reference for a credential Sello
 * issued; `userId`, when given, must be its recipient (the learner asking for it).
 *
 * @throws CredentialError `credential_not_found` for an unknown credential or another learner's.
 */
export async function createCredentialOffer(params: {
  db: Database;
  publicUrl: string;
  credentialId: string;
  userId?: string;
  /** Ask the wallet for a numeric transaction code (OpenID4VCI 1.0 §4.1.1), sent apart from the offer. */
  txCode?: boolean;
  now?: Date;
}): Promise<CreatedOffer> {
  const credential = await createCredentialRepository(params.db).findById(params.credentialId);
  if (!credential || (params.userId !== undefined && credential.recipientUserId !== params.userId)) {
    throw new CredentialError('credential_not_found', 'No credential of yours with this id', { id: params.credentialId });
  }
  const now = params.now ?? new Date();
  const token = randomToken();
  const expiresAt = new Date(now.getTime() + OFFER_TTL_SECONDS * 1000);
  const id = crypto.randomUUID();
  const txCode = params.txCode ? String(crypto.randomInt(0, 10 ** TX_CODE_LENGTH)).padStart(TX_CODE_LENGTH, '0') : null;
  await createOpenid4vciRepository(params.db).createOffer({
    id,
    tokenHash: sha256(token),
    codeHash: sha256(codeOf(token)),
    credentialId: credential.id,
    createdAt: now,
    expiresAt,
    txCodeHash: txCode === null ? null : txCodeHashOf(id, txCode),
  });
  const credentialOfferUri = endpoints(params.publicUrl).offer(token);
  return { offerUri: `openid-credential-offer://?credential_offer_uri=${encodeURIComponent(credentialOfferUri)}`, credentialOfferUri, expiresAt, txCode };
}

/**
 * The Credential Offer JSON (OpenID4VCI 1.0 §4.1.1) behind an offer URL token, while it
 * is unredeemed and unexpired.
 *
 * @throws Openid4vciError `offer_not_found` otherwise.
 */
export async function resolveCredentialOffer(params: { db: Database; publicUrl: string; offerToken: string; now?: Date }): Promise<Record<string, unknown>> {
  const offer = await createOpenid4vciRepository(params.db).findOpenOffer(sha256(params.offerToken), params.now ?? new Date());
  if (!offer) throw new Openid4vciError('offer_not_found', 'This credential offer was used already, has expired, or never existed; ask for a new one');
  return {
    credential_issuer: params.publicUrl,
    credential_configuration_ids: [OPEN_BADGE_CONFIGURATION_ID],
    grants: {
      [PRE_AUTHORIZED_GRANT]: {
        'pre-authorized_code': codeOf(params.offerToken),
        ...(offer.txCodeHash
          ? { tx_code: { input_mode: 'numeric', length: TX_CODE_LENGTH, description: 'The code shown beside the QR code on your badge page / El código junto al código QR en la página de tu insignia' } }
          : {}),
      },
    },
  };
}

/**
 * The token endpoint (OpenID4VCI 1.0 §6; RFC 6749 §5.1): exchanges a pre-authorized code,
 * once, for a short-lived access token.
 *
 * When the offer asked for a transaction code, `tx_code` must match it (§6.1); wrong ones
 * are counted and, after `TX_CODE_MAX_ATTEMPTS`, the offer expires.
 *
 * @throws Openid4vciError `unsupported_grant_type`, `invalid_request` (no code; a tx_code
 *   missing where asked for or sent where not, §6.3), `invalid_grant` (unknown, used or
 *   expired code; wrong tx_code).
 */
export async function exchangePreAuthorizedCode(params: { db: Database; body: Record<string, unknown>; now?: Date }): Promise<Record<string, unknown>> {
  const { body } = params;
  if (body.grant_type !== PRE_AUTHORIZED_GRANT) {
    throw new Openid4vciError('unsupported_grant_type', `Sello supports only the grant type ${PRE_AUTHORIZED_GRANT}`);
  }
  const code = body['pre-authorized_code'];
  if (typeof code !== 'string' || code.length === 0) throw new Openid4vciError('invalid_request', 'pre-authorized_code is missing');
  const now = params.now ?? new Date();
  const repository = createOpenid4vciRepository(params.db);
  const pending = await repository.findRedeemableByCode(sha256(code), now);
  if (pending?.txCodeHash) {
    if (typeof body.tx_code !== 'string' || body.tx_code.length === 0) throw new Openid4vciError('invalid_request', 'This offer asks for its tx_code');
    if (!crypto.timingSafeEqual(Buffer.from(txCodeHashOf(pending.id, body.tx_code)), Buffer.from(pending.txCodeHash))) {
      const attempts = await repository.recordFailedTxCode(pending.id, TX_CODE_MAX_ATTEMPTS, now);
      throw new Openid4vciError('invalid_grant', attempts >= TX_CODE_MAX_ATTEMPTS ? 'Wrong tx_code too many times: this offer has expired; ask for a new one' : 'The tx_code is wrong');
    }
  } else if (pending && body.tx_code !== undefined) {
    throw new Openid4vciError('invalid_request', 'This offer asks for no tx_code');
  }
  const offer = await repository.redeemCode(sha256(code), now);
  if (!offer) throw new Openid4vciError('invalid_grant', 'The pre-authorized code is unknown, was used already, or has expired');
  const accessToken = randomToken();
  await repository.saveAccessToken({ tokenHash: sha256(accessToken), offerId: offer.id, expiresAt: new Date(now.getTime() + ACCESS_TOKEN_TTL_SECONDS * 1000) });
  return { access_token: accessToken, token_type: 'Bearer', expires_in: ACCESS_TOKEN_TTL_SECONDS };
}

/** The nonce endpoint (OpenID4VCI 1.0 §7): a fresh, single-use `c_nonce`. */
export async function issueNonce(params: { db: Database; now?: Date }): Promise<{ c_nonce: string }> {
  const nonce = randomToken();
  const now = params.now ?? new Date();
  await createOpenid4vciRepository(params.db).saveNonce({ nonceHash: sha256(nonce), expiresAt: new Date(now.getTime() + NONCE_TTL_SECONDS * 1000) });
  return { c_nonce: nonce };
}

/** The offer an `Authorization: Bearer` access token was issued for. */
export async function offerOfAccessToken(params: { db: Database; authorization: string | undefined; now?: Date }): Promise<StoredOffer> {
  const match = /^Bearer ([A-Za-z0-9_-]{20,200})$/.exec(params.authorization ?? '');
  const offer = match ? await createOpenid4vciRepository(params.db).findOfferByAccessToken(sha256(match[1]!), params.now ?? new Date()) : null;
  if (!offer) throw new Openid4vciError('invalid_token', 'The access token is missing, unknown or expired');
  return offer;
}

/** The public JWK a `did:key` (Ed25519) or `did:jwk` key id names. */
async function publicJwkOf(kid: string): Promise<JWK> {
  const did = kid.split('#')[0]!;
  if (did.startsWith('did:jwk:')) {
    let jwk: unknown;
    try {
      jwk = JSON.parse(Buffer.from(did.slice('did:jwk:'.length), 'base64url').toString('utf8'));
    } catch {
      throw new Openid4vciError('invalid_proof', 'The proof\'s did:jwk does not hold a JWK');
    }
    if (!jwk || typeof jwk !== 'object' || 'd' in jwk) throw new Openid4vciError('invalid_proof', 'The proof\'s did:jwk does not hold a public JWK');
    return jwk as JWK;
  }
  if (did.startsWith('did:key:')) {
    let method: Record<string, unknown>;
    try {
      method = resolveDidKey(did).verificationMethod[0] as unknown as Record<string, unknown>;
    } catch {
      throw new Openid4vciError('invalid_proof', 'Sello resolves Ed25519 did:key keys only (z6Mk…); or prove a did:jwk');
    }
    const raw = await (await Ed25519Multikey.from(method)).export({ publicKey: true, raw: true });
    return { kty: 'OKP', crv: 'Ed25519', x: base64url.encode(raw.publicKey!) };
  }
  throw new Openid4vciError('invalid_proof', 'The proof\'s kid must be a did:key or did:jwk key (cryptographic_binding_methods_supported)');
}

/**
 * Verifies a `jwt` key proof (OpenID4VCI 1.0 §8.2.1.1, Appendix F.1) and returns the
 * holder's DID. The nonce is consumed only after the signature holds, so a forged proof
 * cannot burn a wallet's nonce.
 *
 * @throws Openid4vciError `invalid_proof` or `invalid_nonce`.
 */
export async function verifyJwtProof(params: { db: Database; jwt: unknown; credentialIssuer: string; now?: Date }): Promise<string> {
  if (typeof params.jwt !== 'string') throw new Openid4vciError('invalid_proof', 'The jwt proof must be a compact JWT');
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(params.jwt);
  } catch {
    throw new Openid4vciError('invalid_proof', 'The jwt proof is not a JWT');
  }
  if (header.typ !== 'openid4vci-proof+jwt') throw new Openid4vciError('invalid_proof', 'The proof JWT\'s typ must be openid4vci-proof+jwt');
  if (typeof header.alg !== 'string' || !(PROOF_ALGORITHMS as readonly string[]).includes(header.alg)) {
    throw new Openid4vciError('invalid_proof', `The proof JWT's alg must be one of ${PROOF_ALGORITHMS.join(', ')}`);
  }
  if (typeof header.kid !== 'string' || header.jwk !== undefined || header.x5c !== undefined) {
    throw new Openid4vciError('invalid_proof', 'The proof JWT must name its key by kid (a did:key or did:jwk URL), and only by it');
  }
  const jwk = await publicJwkOf(header.kid);
  const now = params.now ?? new Date();
  let payload: Record<string, unknown>;
  try {
    const key = await importJWK(jwk, header.alg);
    ({ payload } = await jwtVerify(params.jwt, key, {
      audience: params.credentialIssuer,
      typ: 'openid4vci-proof+jwt',
      algorithms: [...PROOF_ALGORITHMS],
      currentDate: now,
      requiredClaims: ['iat'],
      maxTokenAge: PROOF_MAX_SKEW_SECONDS,
      clockTolerance: PROOF_MAX_SKEW_SECONDS,
    }));
  } catch (error) {
    throw new Openid4vciError('invalid_proof', `The proof JWT does not verify: ${(error as Error).message}`);
  }
  if (typeof payload.nonce !== 'string' || !(await createOpenid4vciRepository(params.db).consumeNonce(sha256(payload.nonce), now))) {
    throw new Openid4vciError('invalid_nonce', 'The proof\'s nonce is missing, used or expired; get a fresh c_nonce from the nonce endpoint');
  }
  return header.kid.split('#')[0]!;
}

/** The proofs of a Credential Request: 1.0's `proofs.jwt[]`, or drafts' single `proof`. */
function proofJwts(body: Record<string, unknown>): unknown[] {
  const { proof, proofs } = body;
  if (proof !== undefined && proofs !== undefined) throw new Openid4vciError('invalid_credential_request', 'Send proofs or proof, not both');
  if (proofs !== undefined) {
    const jwts = proofs && typeof proofs === 'object' ? (proofs as Record<string, unknown>).jwt : undefined;
    if (!Array.isArray(jwts) || jwts.length === 0 || Object.keys(proofs as object).length !== 1) {
      throw new Openid4vciError('invalid_credential_request', 'proofs must be {"jwt": [<proof JWT>]}');
    }
    return jwts;
  }
  if (proof !== undefined) {
    const p = proof as Record<string, unknown> | null;
    if (!p || typeof p !== 'object' || p.proof_type !== 'jwt') throw new Openid4vciError('invalid_credential_request', 'proof.proof_type must be jwt');
    return [p.jwt];
  }
  return [];
}

export interface CredentialEndpointParameters {
  db: Database;
  keys: IssuerKeyProvider;
  publicUrl: string;
  chainReference: ChainReference | null;
  offer: StoredOffer;
  body: Record<string, unknown>;
  now?: () => Date;
}

/**
 * The credential endpoint (OpenID4VCI 1.0 §8): the offer's credential as issued, or, for
 * each proven key, a new credential of the same award bound to the holder's DID.
 *
 * @throws Openid4vciError `unknown_credential_configuration`, `invalid_credential_request`,
 *   `invalid_proof`, `invalid_nonce`, `credential_request_denied` (revoked or gone).
 */
export async function deliverCredential(params: CredentialEndpointParameters): Promise<{ credentials: Array<{ credential: Record<string, unknown> }> }> {
  const { db, body } = params;
  if (body.credential_identifier !== undefined) throw new Openid4vciError('invalid_credential_request', 'Sello issues by credential_configuration_id, not credential_identifier');
  if (body.credential_configuration_id !== OPEN_BADGE_CONFIGURATION_ID) {
    throw new Openid4vciError('unknown_credential_configuration', `credential_configuration_id must be ${OPEN_BADGE_CONFIGURATION_ID}`);
  }
  const jwts = proofJwts(body);
  const credentials = createCredentialRepository(db);
  const source = await credentials.findById(params.offer.credentialId);
  const status = source ? await credentials.findStatus(source.id) : null;
  if (!source || status?.revoked) throw new Openid4vciError('credential_request_denied', 'The credential of this offer was revoked');
  if (jwts.length === 0) return { credentials: [{ credential: source.document }] };

  const now = params.now?.() ?? new Date();
  const holders: string[] = [];
  for (const jwt of jwts) holders.push(await verifyJwtProof({ db, jwt, credentialIssuer: params.publicUrl, now }));
  const issued: Array<{ credential: Record<string, unknown> }> = [];
  for (const holderDid of holders) {
    const bound = await bindToHolder({ ...params, source, holderDid, via: { protocol: 'openid4vci', offerId: params.offer.id } });
    if (!bound) throw new Openid4vciError('credential_request_denied', 'The issuer of this credential is gone');
    issued.push({ credential: bound.document });
  }
  return { credentials: issued };
}
