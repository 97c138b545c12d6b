/**
 * OpenID4VCI 1.0, pre-authorized code flow
 * (https://openid.net/specs/openid-4-verifiable-credential-issuance-1_0.html), driven by
 * an independent holder client (`@openid4vc/openid4vci`, the OpenWallet Foundation's
 * library) over real HTTP: it resolves Sello's offer and metadata, redeems the code,
 * proves a did:key and receives a new credential bound to that DID, which verifies in
 * Sello and is queued for anchoring like every other.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/web/app.ts';
import { createLogger } from '../../src/logger.ts';
import { VERSION } from '../../src/version.ts';
import { credentialsRouter } from '../../src/web/credentials.ts';
import { statusRouter } from '../../src/web/public/status.ts';
import { didRouter } from '../../src/web/public/did.ts';
import { openid4vciRouter } from '../../src/web/wallet/openid4vci/routes.ts';
import { createCredentialOffer } from '../../src/wallet/openid4vci.ts';
import { createHolderBoundCredentialRepository } from '../../src/storage/holder-bound-credential-repository.ts';
import { credentialHash } from '../../src/credentials/credential-hash.ts';
import { testSecrets } from '../support/config.ts';
import { createOpenid4vciTestWallet, type Openid4vciTestWallet } from '../support/wallets/openid4vci-wallet.ts';
import { ADMIN, CHAIN, makeCredentialsApp } from './credentials-fixture.ts';

type Json = Record<string, unknown>;

describe('a badge into a wallet by OpenID4VCI (pre-authorized code)', () => {
  let t: Awaited<ReturnType<typeof makeCredentialsApp>>;
  let server: Server;
  let fetchSello: typeof fetch;
  let wallet: Openid4vciTestWallet;
  let client: Openid4vciTestWallet['client'];
  let source: Json;
  let sourceId: string;

  beforeAll(async () => {
    t = await makeCredentialsApp();
    const app = buildApp({
      config: t.config,
      db: t.db,
      log: createLogger({ level: 'silent' }),
      secrets: testSecrets(t.config),
      version: VERSION,
      routers: [
        didRouter({ db: t.db, keys: t.keys, adminToken: ADMIN }),
        statusRouter({ db: t.db, keys: t.keys, publicUrl: t.config.publicUrl }),
        credentialsRouter(t.deps),
        openid4vciRouter({ db: t.db, keys: t.keys, publicUrl: t.config.publicUrl, chainReference: () => CHAIN }),
      ],
    });
    t = { ...t, app };
    server = await new Promise<Server>((resolve) => {
      const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
    });
    const local = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // The wallet reaches Sello at its PUBLIC_URL; here that host is this test's server.
    fetchSello = (input, init) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      return fetch(url.replace(t.config.publicUrl, local), init);
    };
    wallet = await createOpenid4vciTestWallet({ fetch: fetchSello });
    client = wallet.client;

    const issued = await request(t.app)
      .post('/credentials/issue')
      .set('authorization', `Bearer ${ADMIN}`)
      .send({ options: { achievementId: t.achievement.id, recipient: { email: 'ana@example.edu', name: 'Ana' } } });
    expect(issued.status).toBe(201);
    source = issued.body.verifiableCredential;
    sourceId = source.id as string;
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await t.close();
  });

  it('publishes credential issuer and authorization server metadata the client accepts', async () => {
    const metadata = await client.resolveIssuerMetadata(t.config.publicUrl);
    expect(metadata.credentialIssuer.credential_endpoint).toBe(`${t.config.publicUrl}/openid4vci/credential`);
    expect(metadata.credentialIssuer.nonce_endpoint).toBe(`${t.config.publicUrl}/openid4vci/nonce`);
    const configuration = metadata.credentialIssuer.credential_configurations_supported.OpenBadgeCredential_ldp_vc as Json;
    expect(configuration.format).toBe('ldp_vc');
    expect(configuration.cryptographic_binding_methods_supported).toEqual(['did:key', 'did:jwk']);
    expect(metadata.authorizationServers[0]!.token_endpoint).toBe(`${t.config.publicUrl}/openid4vci/token`);
  });

  it('delivers a new credential of the same award bound to the wallet\'s did:key, which verifies in Sello and is queued for anchoring', async () => {
    const offer = await createCredentialOffer({ db: t.db, publicUrl: t.config.publicUrl, credentialId: sourceId });
    expect(offer.offerUri).toMatch(/^openid-credential-offer:\/\/\?credential_offer_uri=/);

    const bound = await wallet.receive(offer.offerUri);

    expect((bound.credentialSubject as Json).id).toBe(wallet.did);
    expect(bound.id).not.toBe(sourceId);
    expect((bound.credentialSubject as Json).achievement).toEqual((source.credentialSubject as Json).achievement);
    expect([bound.proof].flat().map((proof) => (proof as Json).cryptosuite)).toEqual(['eddsa-rdfc-2022']);

    const verified = await request(t.app).post('/credentials/verify').send({ verifiableCredential: bound });
    expect(verified.status).toBe(200);
    expect(verified.body.verified).toBe(true);

    // The award keeps track of it, and it is in the credentials table the anchor batcher reads.
    const tracked = await createHolderBoundCredentialRepository(t.db).listOf(sourceId);
    expect(tracked).toEqual([expect.objectContaining({ credentialId: bound.id, holderDid: wallet.did })]);
    const row = await t.db.query<{ hash: string; achievement_id: string }>('SELECT hash, achievement_id FROM credentials WHERE id = $1', [bound.id]);
    expect(row.rows[0]).toEqual({ hash: credentialHash(bound), achievement_id: t.achievement.id });
  });

  it('binds a did:jwk (ES256) the client proves, just as a did:key', async () => {
    const jwkWallet = await createOpenid4vciTestWallet({ fetch: fetchSello, didMethod: 'jwk' });
    const did = jwkWallet.did;
    const offer = await createCredentialOffer({ db: t.db, publicUrl: t.config.publicUrl, credentialId: sourceId });
    const bound = await jwkWallet.receive(offer.offerUri);
    expect((bound.credentialSubject as Json).id).toBe(did);
    expect((await request(t.app).post('/credentials/verify').send({ verifiableCredential: bound })).body.verified).toBe(true);
    expect(await createHolderBoundCredentialRepository(t.db).listOf(sourceId)).toContainEqual(expect.objectContaining({ credentialId: bound.id, holderDid: did, protocol: 'openid4vci' }));
  });

  it('returns the credential as issued when the wallet sends no proof', async () => {
    const offer = await createCredentialOffer({ db: t.db, publicUrl: t.config.publicUrl, credentialId: sourceId });
    expect(await wallet.receive(offer.offerUri, { prove: false })).toEqual(source);
  });

  it('answers invalid_grant to a replayed pre-authorized code, and the used offer is gone', async () => {
    const offer = await createCredentialOffer({ db: t.db, publicUrl: t.config.publicUrl, credentialId: sourceId });
    const credentialOffer = await client.resolveCredentialOffer(offer.offerUri);
    const code = (credentialOffer.grants!['urn:ietf:params:oauth:grant-type:pre-authorized_code'] as Json)['pre-authorized_code'];
    const redeem = () => request(t.app).post('/openid4vci/token').type('form').send({ grant_type: 'urn:ietf:params:oauth:grant-type:pre-authorized_code', 'pre-authorized_code': code });
    expect((await redeem()).status).toBe(200);
    const replay = await redeem();
    expect(replay.status).toBe(400);
    expect(replay.body.error).toBe('invalid_grant');
    expect((await request(t.app).get(new URL(offer.credentialOfferUri).pathname)).status).toBe(404);
  });

  it('answers invalid_grant to the code of an expired offer', async () => {
    const elevenMinutesAgo = new Date(Date.now() - 11 * 60_000);
    const offer = await createCredentialOffer({ db: t.db, publicUrl: t.config.publicUrl, credentialId: sourceId, now: elevenMinutesAgo });
    expect((await request(t.app).get(new URL(offer.credentialOfferUri).pathname)).body.error).toBe('offer_not_found');
    // The wallet scanned it in time but redeems it late: the same code, derived from the offer's token.
    const fresh = await createCredentialOffer({ db: t.db, publicUrl: t.config.publicUrl, credentialId: sourceId });
    const credentialOffer = await client.resolveCredentialOffer(fresh.offerUri);
    const issuerMetadata = await client.resolveIssuerMetadata(credentialOffer.credential_issuer);
    await t.db.query('UPDATE openid4vci_offers SET expires_at = $1 WHERE credential_id = $2 AND redeemed_at IS NULL', [elevenMinutesAgo, sourceId]);
    await expect(client.retrievePreAuthorizedCodeAccessTokenFromOffer({ credentialOffer, issuerMetadata })).rejects.toMatchObject({
      errorResponse: expect.objectContaining({ error: 'invalid_grant' }),
    });
  });
  describe('an offer with a transaction code (OpenID4VCI 1.0 §4.1.1, §6.1, §6.3)', () => {
    const grant = 'urn:ietf:params:oauth:grant-type:pre-authorized_code';
    const codeOf = async (offerUri: string) => {
      const json = (await request(t.app).get(new URL(offerUri).pathname)).body as Json;
      return { json, code: ((json.grants as Json)[grant] as Json)['pre-authorized_code'] as string };
    };
    const redeem = (code: string, txCode?: string) =>
      request(t.app).post('/openid4vci/token').type('form').send({ grant_type: grant, 'pre-authorized_code': code, ...(txCode === undefined ? {} : { tx_code: txCode }) });

    it('announces a numeric tx_code in the offer, and the client that types it gets its DID-bound credential', async () => {
      const offer = await createCredentialOffer({ db: t.db, publicUrl: t.config.publicUrl, credentialId: sourceId, txCode: true });
      expect(offer.txCode).toMatch(/^\d{6}$/);
      expect(offer.offerUri).not.toContain(offer.txCode!);
      const credentialOffer = await client.resolveCredentialOffer(offer.offerUri);
      expect((credentialOffer.grants![grant] as Json).tx_code).toEqual(expect.objectContaining({ input_mode: 'numeric', length: 6 }));
      const bound = await wallet.receive(offer.offerUri, { txCode: offer.txCode! });
      expect((bound.credentialSubject as Json).id).toBe(wallet.did);
      expect((await request(t.app).post('/credentials/verify').send({ verifiableCredential: bound })).body.verified).toBe(true);
    });

    it('answers invalid_grant to a wrong tx_code (the client\'s error too), and the right one still works until it is used', async () => {
      const offer = await createCredentialOffer({ db: t.db, publicUrl: t.config.publicUrl, credentialId: sourceId, txCode: true });
      const wrong = offer.txCode === '000000' ? '000001' : '000000';
      const credentialOffer = await client.resolveCredentialOffer(offer.offerUri);
      const issuerMetadata = await client.resolveIssuerMetadata(credentialOffer.credential_issuer);
      await expect(client.retrievePreAuthorizedCodeAccessTokenFromOffer({ credentialOffer, issuerMetadata, txCode: wrong })).rejects.toMatchObject({
        errorResponse: expect.objectContaining({ error: 'invalid_grant' }),
      });
      const code = (credentialOffer.grants![grant] as Json)['pre-authorized_code'] as string;
      expect((await redeem(code, offer.txCode!)).status).toBe(200);
      const replay = await redeem(code, offer.txCode!);
      expect(replay.status).toBe(400);
      expect(replay.body.error).toBe('invalid_grant');
    });

    it('answers invalid_request to a missing tx_code where asked for and to one sent where not (§6.3)', async () => {
      const asked = await createCredentialOffer({ db: t.db, publicUrl: t.config.publicUrl, credentialId: sourceId, txCode: true });
      const missing = await redeem((await codeOf(asked.credentialOfferUri)).code);
      expect(missing.status).toBe(400);
      expect(missing.body.error).toBe('invalid_request');
      const notAsked = await createCredentialOffer({ db: t.db, publicUrl: t.config.publicUrl, credentialId: sourceId });
      const { json, code } = await codeOf(notAsked.credentialOfferUri);
      expect((json.grants as Json)[grant]).not.toHaveProperty('tx_code');
      const extra = await redeem(code, '123456');
      expect(extra.status).toBe(400);
      expect(extra.body.error).toBe('invalid_request');
    });

    it('expires the offer after five wrong tx_codes, so a 6-digit code cannot be guessed: then even the right one gets invalid_grant', async () => {
      const offer = await createCredentialOffer({ db: t.db, publicUrl: t.config.publicUrl, credentialId: sourceId, txCode: true });
      const { code } = await codeOf(offer.credentialOfferUri);
      const wrongs = ['000000', '111111', '222222', '333333', '444444', '555555', '666666'].filter((guess) => guess !== offer.txCode).slice(0, 5);
      for (const guess of wrongs) {
        const answer = await redeem(code, guess);
        expect(answer.status).toBe(400);
        expect(answer.body.error).toBe('invalid_grant');
      }
      const right = await redeem(code, offer.txCode!);
      expect(right.status).toBe(400);
      expect(right.body.error).toBe('invalid_grant');
    });
  });

  describe('the credential endpoint\'s errors (OpenID4VCI 1.0 §8.3.1.2, RFC 6750 §3.1)', () => {
    const grant = 'urn:ietf:params:oauth:grant-type:pre-authorized_code';
    const accessToken = async () => {
      const offer = await createCredentialOffer({ db: t.db, publicUrl: t.config.publicUrl, credentialId: sourceId });
      const json = (await request(t.app).get(new URL(offer.credentialOfferUri).pathname)).body as Json;
      const code = ((json.grants as Json)[grant] as Json)['pre-authorized_code'];
      return (await request(t.app).post('/openid4vci/token').type('form').send({ grant_type: grant, 'pre-authorized_code': code })).body.access_token as string;
    };
    const nonce = async () => (await request(t.app).post('/openid4vci/nonce')).body.c_nonce as string;
    const proofJwt = async (payload: Json, header: Json = {}) =>
      wallet.sign({ aud: t.config.publicUrl, iat: Math.floor(Date.now() / 1000), ...payload }, { typ: 'openid4vci-proof+jwt', kid: wallet.kid, ...header });
    const ask = (token: string, jwt: string) =>
      request(t.app).post('/openid4vci/credential').set('authorization', `Bearer ${token}`).send({ credential_configuration_id: 'OpenBadgeCredential_ldp_vc', proofs: { jwt: [jwt] } });

    it('answers invalid_token (401, WWW-Authenticate) to a missing or unknown access token', async () => {
      const answer = await request(t.app).post('/openid4vci/credential').set('authorization', 'Bearer unknown-token-0123456789abcdef').send({ credential_configuration_id: 'OpenBadgeCredential_ldp_vc' });
      expect(answer.status).toBe(401);
      expect(answer.body.error).toBe('invalid_token');
      expect(answer.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token"/);
    });

    it('answers invalid_proof to a proof for another audience, of the wrong typ, or signed by a key other than its kid, and issues nothing', async () => {
      const token = await accessToken();
      const before = (await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM credentials')).rows[0]!.n;
      const other = await createOpenid4vciTestWallet();
      for (const jwt of [
        await proofJwt({ nonce: await nonce(), aud: 'https://evil.example' }),
        await proofJwt({ nonce: await nonce() }, { typ: 'JWT' }),
        await proofJwt({ nonce: await nonce() }, { kid: other.kid }),
      ]) {
        const answer = await ask(token, jwt);
        expect(answer.status).toBe(400);
        expect(answer.body.error).toBe('invalid_proof');
      }
      expect((await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM credentials')).rows[0]!.n).toBe(before);
    });

    it('answers invalid_nonce to a proof without a c_nonce, with an unknown one, or with one already used', async () => {
      const token = await accessToken();
      expect((await ask(token, await proofJwt({}))).body.error).toBe('invalid_nonce');
      expect((await ask(token, await proofJwt({ nonce: 'never-handed-out' }))).body.error).toBe('invalid_nonce');
      const used = await nonce();
      expect((await ask(token, await proofJwt({ nonce: used }))).status).toBe(200);
      const replayed = await ask(token, await proofJwt({ nonce: used }));
      expect(replayed.status).toBe(400);
      expect(replayed.body.error).toBe('invalid_nonce');
    });

    it('answers unsupported_grant_type to another grant and unknown_credential_configuration to another configuration', async () => {
      const wrongGrant = await request(t.app).post('/openid4vci/token').type('form').send({ grant_type: 'authorization_code', code: 'x' });
      expect(wrongGrant.status).toBe(400);
      expect(wrongGrant.body.error).toBe('unsupported_grant_type');
      const wrongConfiguration = await request(t.app).post('/openid4vci/credential').set('authorization', `Bearer ${await accessToken()}`).send({ credential_configuration_id: 'mso_mdoc' });
      expect(wrongConfiguration.status).toBe(400);
      expect(wrongConfiguration.body.error).toBe('unknown_credential_configuration');
    });
  });
});
