/**
 * A holder for OpenID4VCI tests, built on an independent client (`@openid4vc/openid4vci`,
 * the OpenWallet Foundation's library): a key of its own (an Ed25519 did:key, or an ES256
 * did:jwk) and the pre-authorized code flow a wallet app walks after scanning an offer:
 * resolve the offer and the issuer's metadata, redeem the code (with the transaction code
 * when asked), fetch a nonce, prove the key and receive the credential.
 */
import crypto from 'node:crypto';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import { CompactSign, base64url, exportJWK, generateKeyPair, importJWK } from 'jose';
import { Openid4vciClient } from '@openid4vc/openid4vci';
import { clientAuthenticationAnonymous, setGlobalConfig, type CallbackContext, type JwtSigner } from '@openid4vc/oauth2';

type Json = Record<string, unknown>;

export const OB_LDP_VC = 'OpenBadgeCredential_ldp_vc';

export type Openid4vciTestWallet = Awaited<ReturnType<typeof createOpenid4vciTestWallet>>;

/** A key the wallet proves: its DID, the DID URL of the key, and a JWS signer. */
async function walletKey(method: 'key' | 'jwk') {
  if (method === 'jwk') {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const publicJwk = (await exportJWK(publicKey)) as Json & { kty: string };
    const did = `did:jwk:${base64url.encode(JSON.stringify(publicJwk))}`;
    return { did, kid: `${did}#0`, alg: 'ES256', publicJwk, privateKey };
  }
  const pair = await Ed25519Multikey.generate();
  const raw = await pair.export({ publicKey: true, secretKey: true, raw: true, canonicalize: true });
  const did = `did:key:${pair.publicKeyMultibase}`;
  const publicJwk = { kty: 'OKP', crv: 'Ed25519', x: base64url.encode(raw.publicKey!) };
  const privateKey = await importJWK({ ...publicJwk, d: base64url.encode(raw.secretKey!) }, 'EdDSA');
  return { did, kid: `${did}#${pair.publicKeyMultibase}`, alg: 'EdDSA', publicJwk, privateKey };
}

/**
 * A wallet that reaches Sello through `fetch` (give one that maps PUBLIC_URL to the test's
 * server when they differ). `receive` walks the whole flow and returns the credential;
 * `prove: false` leaves the key out, as a wallet without key binding does.
 */
export async function createOpenid4vciTestWallet({ fetch: fetchSello = fetch, didMethod = 'key' }: { fetch?: typeof fetch; didMethod?: 'key' | 'jwk' } = {}) {
  const key = await walletKey(didMethod);
  // Sello runs on http:// in tests; the client refuses that unless told.
  setGlobalConfig({ allowInsecureUrls: true });
  const callbacks: Omit<CallbackContext, 'verifyJwt' | 'decryptJwe' | 'encryptJwe'> = {
    fetch: fetchSello,
    hash: (data, alg) => new Uint8Array(crypto.createHash(alg.replace('-', '').toLowerCase()).update(data).digest()),
    generateRandom: (length) => new Uint8Array(crypto.randomBytes(length)),
    clientAuthentication: clientAuthenticationAnonymous(),
    signJwt: async (_signer: JwtSigner, { header, payload }) => ({
      jwt: await new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader(header as { alg: string }).sign(key.privateKey),
      signerJwk: key.publicJwk,
    }),
  };
  const client = new Openid4vciClient({ callbacks });

  async function receive(offerUri: string, { txCode, prove = true }: { txCode?: string; prove?: boolean } = {}) {
    const credentialOffer = await client.resolveCredentialOffer(offerUri);
    const issuerMetadata = await client.resolveIssuerMetadata(credentialOffer.credential_issuer);
    const { accessTokenResponse } = await client.retrievePreAuthorizedCodeAccessTokenFromOffer({ credentialOffer, issuerMetadata, ...(txCode === undefined ? {} : { txCode }) });
    const accessToken = accessTokenResponse.access_token;
    let proof: { proof_type: 'jwt'; jwt: string } | undefined;
    if (prove) {
      const { c_nonce } = await client.requestNonce({ issuerMetadata });
      const signed = await client.createCredentialRequestJwtProof({
        issuerMetadata,
        credentialConfigurationId: OB_LDP_VC,
        nonce: c_nonce,
        signer: { method: 'did', didUrl: key.kid, alg: key.alg },
      });
      proof = { proof_type: 'jwt', jwt: signed.jwt };
    }
    // The client throws on any answer but a credential.
    const response = await client.retrieveCredentials({ issuerMetadata, accessToken, credentialConfigurationId: OB_LDP_VC, ...(proof ? { proof } : {}) });
    return (response.credentialResponse as { credentials: Array<{ credential: Json }> }).credentials[0]!.credential;
  }

  /** A compact JWS by the wallet's key, for tests that write their own proofs. */
  const sign = (payload: Json, header: Json) =>
    new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader({ alg: key.alg, ...header } as { alg: string }).sign(key.privateKey);

  return { client, did: key.did, kid: key.kid, receive, sign };
}
