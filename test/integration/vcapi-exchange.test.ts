/**
 * VC-API exchanges (https://w3c-ccg.github.io/vc-api/#exchanges), driven over real HTTP by
 * a test wallet that speaks the protocol as the Learner Credential Wallet does: deep link →
 * POST {} → DIDAuthentication request → presentation signed by the wallet's did:key →
 * a new credential of the same award bound to that DID, which verifies in Sello and is
 * queued for anchoring like every other.
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
import { vcapiExchangeRouter } from '../../src/web/wallet/vcapi-exchanges/routes.ts';
import { createClaimExchange, exchangeDomain } from '../../src/wallet/vcapi-exchange.ts';
import { createHolderBoundCredentialRepository } from '../../src/storage/holder-bound-credential-repository.ts';
import { credentialHash } from '../../src/credentials/credential-hash.ts';
import { testSecrets } from '../support/config.ts';
import { createAnchorBatcher } from '../../src/chain/anchor-batcher.ts';
import { findCredentialAnchor } from '../../src/storage/anchor-batch-repository.ts';
import { openTestChain, silentLog } from './chain-support.ts';
import { createWalletDid, exchangeUrlOfDeepLink, signDidAuthentication, VcapiTestWallet, type WalletDid } from '../support/wallets/vcapi-wallet.ts';
import { ADMIN, CHAIN, makeCredentialsApp } from './credentials-fixture.ts';

type Json = Record<string, unknown>;

describe('a badge into a wallet by VC-API exchange (DIDAuth, then the credential in a presentation)', () => {
  let t: Awaited<ReturnType<typeof makeCredentialsApp>>;
  let server: Server;
  let fetchSello: typeof fetch;
  let holder: WalletDid;
  let source: Json;
  let sourceId: string;

  const issue = async (email: string) => {
    const issued = await request(t.app)
      .post('/credentials/issue')
      .set('authorization', `Bearer ${ADMIN}`)
      .send({ options: { achievementId: t.achievement.id, recipient: { email, name: 'Ana' } } });
    expect(issued.status).toBe(201);
    return issued.body.verifiableCredential as Json;
  };
  const newExchange = (credentialId = sourceId, now?: Date) => createClaimExchange({ db: t.db, publicUrl: t.config.publicUrl, credentialId, now });
  const pathOf = (url: string) => new URL(url).pathname;

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
        vcapiExchangeRouter({ db: t.db, keys: t.keys, publicUrl: t.config.publicUrl, chainReference: () => CHAIN }),
      ],
    });
    t = { ...t, app };
    server = await new Promise<Server>((resolve) => {
      const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
    });
    const local = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // The wallet reaches Sello at its PUBLIC_URL; here that host is this test's server.
    fetchSello = (input, init) => fetch(String(input instanceof Request ? input.url : input).replace(t.config.publicUrl, local), init);
    holder = await createWalletDid();
    source = await issue('ana@example.edu');
    sourceId = source.id as string;
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await t.close();
  });

  it('offers an LCW deep link {credentialRequestOrigin, protocols: {vcapi}} and an interaction URL answering {protocols}', async () => {
    const exchange = await newExchange();
    const link = new URL(exchange.walletLink);
    expect(`${link.origin}${link.pathname}`).toBe('https://lcw.app/request');
    const payload = JSON.parse(link.searchParams.get('request')!) as Json;
    expect(payload).toEqual({ credentialRequestOrigin: new URL(t.config.publicUrl).origin, protocols: { vcapi: exchange.exchangeUrl } });
    expect(exchange.interactionUrl).toMatch(/\?iuv=1$/);
    const interaction = await request(t.app).get(`${pathOf(exchange.interactionUrl)}?iuv=1`).set('accept', 'application/json');
    expect(interaction.status).toBe(200);
    expect(interaction.body).toEqual({ protocols: { vcapi: exchange.exchangeUrl } });
  });

  it('answers {} with a DIDAuthentication request carrying a challenge, Sello\'s domain and the service to answer at', async () => {
    const exchange = await newExchange();
    const answer = await request(t.app).post(pathOf(exchange.exchangeUrl)).send({});
    expect(answer.status).toBe(200);
    const vpr = answer.body.verifiablePresentationRequest as Json;
    expect(vpr.query).toEqual([expect.objectContaining({ type: 'DIDAuthentication', acceptedMethods: [{ method: 'key' }] })]);
    expect(vpr.challenge).toEqual(expect.any(String));
    expect(vpr.domain).toBe(exchangeDomain(t.config.publicUrl));
    expect((vpr.interact as Json).service).toEqual([{ type: 'UnmediatedHttpPresentationService2021', serviceEndpoint: exchange.exchangeUrl }]);
    expect((await request(t.app).get(pathOf(exchange.exchangeUrl))).body.exchange.state).toBe('active');
  });

  it('delivers a new credential of the same award bound to the wallet\'s did:key, which verifies in Sello and is queued for anchoring', async () => {
    const exchange = await newExchange();
    const wallet = new VcapiTestWallet(holder, fetchSello);
    const answer = await wallet.claim(exchange.walletLink);
    expect(answer.status).toBe(200);
    expect((answer.body.verifiablePresentation as Json).type).toEqual(['VerifiablePresentation']);
    expect(wallet.received).toHaveLength(1);
    const bound = wallet.received[0]!;

    expect((bound.credentialSubject as Json).id).toBe(holder.did);
    expect(bound.id).not.toBe(sourceId);
    expect((bound.credentialSubject as Json).achievement).toEqual((source.credentialSubject as Json).achievement);
    expect([bound.proof].flat().map((proof) => (proof as Json).cryptosuite)).toEqual(['eddsa-rdfc-2022']);

    const verified = await request(t.app).post('/credentials/verify').send({ verifiableCredential: bound });
    expect(verified.status).toBe(200);
    expect(verified.body.verified).toBe(true);

    // The award keeps track of it, and it is in the credentials table the anchor batcher reads.
    const tracked = await createHolderBoundCredentialRepository(t.db).listOf(sourceId);
    expect(tracked).toContainEqual(expect.objectContaining({ credentialId: bound.id, holderDid: holder.did, protocol: 'vcapi' }));
    const row = await t.db.query<{ hash: string; achievement_id: string }>('SELECT hash, achievement_id FROM credentials WHERE id = $1', [bound.id]);
    expect(row.rows[0]).toEqual({ hash: credentialHash(bound), achievement_id: t.achievement.id });

    const state = await request(t.app).get(pathOf(exchange.exchangeUrl));
    expect(state.body.exchange).toEqual(expect.objectContaining({ state: 'complete', workflow: 'claim-badge' }));
  });

  it('accepts DID authentication signed with Ed25519Signature2020 over a VC 1.1 presentation, as the Learner Credential Wallet signs it', async () => {
    const exchange = await newExchange();
    const lcwHolder = await createWalletDid();
    // What such a wallet sends: a VC 1.1 presentation with an Ed25519Signature2020 proof.
    const sample = await signDidAuthentication({ holder: lcwHolder, challenge: 'c', domain: 'd', proofType: 'Ed25519Signature2020' });
    expect(sample['@context']).toEqual(['https://www.w3.org/2018/credentials/v1', 'https://w3id.org/security/suites/ed25519-2020/v1']);
    expect((sample.proof as Json).type).toBe('Ed25519Signature2020');
    const wallet = new VcapiTestWallet(lcwHolder, fetchSello, 'Ed25519Signature2020');
    const answer = await wallet.claim(exchange.walletLink);
    expect(answer.status).toBe(200);
    expect(wallet.received).toHaveLength(1);
    expect((wallet.received[0]!.credentialSubject as Json).id).toBe(lcwHolder.did);
    const verified = await request(t.app).post('/credentials/verify').send({ verifiableCredential: wallet.received[0] });
    expect(verified.status).toBe(200);
  });

  it('refuses an Ed25519Signature2020 DID authentication for another challenge, and leaves the exchange open', async () => {
    const exchange = await newExchange();
    const lcwHolder = await createWalletDid();
    const wallet = new VcapiTestWallet(lcwHolder, fetchSello, 'Ed25519Signature2020');
    const refused = await wallet.claim(exchange.walletLink, { challengeOverride: 'not-the-challenge' });
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('invalid_did_authentication');
    expect((await request(t.app).get(pathOf(exchange.exchangeUrl))).body.exchange.state).toBe('active');
  });

  it('is single use: a second wallet, or the same one again, gets 409 exchange_complete and no credential', async () => {
    const exchange = await newExchange();
    expect((await new VcapiTestWallet(holder, fetchSello).claim(exchange.walletLink)).status).toBe(200);
    const before = (await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM credentials')).rows[0]!.n;
    const other = new VcapiTestWallet(await createWalletDid(), fetchSello);
    const again = await other.claim(exchange.walletLink);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('exchange_complete');
    expect(other.received).toEqual([]);
    expect((await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM credentials')).rows[0]!.n).toBe(before);
  });

  it('answers 410 exchange_expired once the exchange has run out, and 404 exchange_not_found to an unknown one', async () => {
    const exchange = await newExchange(sourceId, new Date(Date.now() - 16 * 60_000));
    const expired = await request(t.app).post(pathOf(exchange.exchangeUrl)).send({});
    expect(expired.status).toBe(410);
    expect(expired.body.code).toBe('exchange_expired');
    expect((await request(t.app).get(pathOf(exchange.interactionUrl))).status).toBe(410);
    expect((await request(t.app).get(pathOf(exchange.exchangeUrl))).body.exchange.state).toBe('invalid');

    const unknown = await request(t.app).post('/workflows/claim-badge/exchanges/no-such-exchange').send({});
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('exchange_not_found');
    expect(unknown.headers['cache-control']).toBe('no-store');
  });

  it('refuses a DIDAuth presentation for another challenge or domain, unsigned, or signed by a key not the holder\'s (401), and leaves the exchange open', async () => {
    const exchange = await newExchange();
    const url = pathOf(exchange.exchangeUrl);
    const vpr = (await request(t.app).post(url).send({})).body.verifiablePresentationRequest as Json;
    const challenge = vpr.challenge as string;
    const domain = vpr.domain as string;
    const intruder = await createWalletDid();
    const attempts: Array<[string, Json]> = [
      ['another challenge', await signDidAuthentication({ holder, challenge: 'replayed-from-elsewhere', domain })],
      ['another domain', await signDidAuthentication({ holder, challenge, domain: 'evil.example' })],
      ['no proof', { '@context': ['https://www.w3.org/ns/credentials/v2'], type: ['VerifiablePresentation'], holder: holder.did }],
      [
        'a key not the holder\'s',
        await signDidAuthentication({ holder: intruder, challenge, domain, presentation: { '@context': ['https://www.w3.org/ns/credentials/v2'], type: ['VerifiablePresentation'], holder: holder.did } }),
      ],
    ];
    for (const [, verifiablePresentation] of attempts) {
      const answer = await request(t.app).post(url).send({ verifiablePresentation });
      expect(answer.status).toBe(401);
      expect(answer.body.code).toBe('invalid_did_authentication');
      expect(answer.body.details.error).toEqual(expect.any(String));
    }
    // A tampered presentation after signing fails too.
    const signed = await signDidAuthentication({ holder, challenge, domain });
    const tampered = await request(t.app).post(url).send({ verifiablePresentation: { ...signed, holder: intruder.did } });
    expect(tampered.status).toBe(401);

    // The learner's own wallet still finishes it.
    const done = await request(t.app).post(url).send({ verifiablePresentation: await signDidAuthentication({ holder, challenge, domain }) });
    expect(done.status).toBe(200);
    expect(((done.body.verifiablePresentation as Json).verifiableCredential as Json[])[0]!.credentialSubject).toEqual(expect.objectContaining({ id: holder.did }));
  });

  it('answers 422 unsupported_did_method to a holder that is not a did:key, and 400 to a body that is not an exchange request', async () => {
    const exchange = await newExchange();
    const url = pathOf(exchange.exchangeUrl);
    const vpr = (await request(t.app).post(url).send({})).body.verifiablePresentationRequest as Json;
    const didWeb = await signDidAuthentication({
      holder,
      challenge: vpr.challenge as string,
      domain: vpr.domain as string,
      presentation: { '@context': ['https://www.w3.org/ns/credentials/v2'], type: ['VerifiablePresentation'], holder: 'did:web:wallet.example' },
    });
    const refused = await request(t.app).post(url).send({ verifiablePresentation: didWeb });
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('unsupported_did_method');

    for (const body of [[1, 2], { verifiablePresentation: {}, extra: true }]) {
      const answer = await request(t.app).post(url).send(body);
      expect(answer.status).toBe(400);
      expect(answer.body.code).toBe('invalid_exchange_request');
    }
    const notAPresentation = await request(t.app).post(url).send({ verifiablePresentation: 'hello' });
    expect(notAPresentation.status).toBe(401);
    expect(notAPresentation.body.code).toBe('invalid_did_authentication');
  });

  it('refuses with 403 credential_unavailable once the credential was revoked', async () => {
    const revokedSource = await issue('bea@example.edu');
    const exchange = await newExchange(revokedSource.id as string);
    const revoked = await request(t.app)
      .post(`/admin/api/credentials/${encodeURIComponent(revokedSource.id as string)}/status`)
      .set('authorization', `Bearer ${ADMIN}`)
      .send({ action: 'revoke', reason: 'Issued by mistake' });
    expect(revoked.status).toBe(200);
    const answer = await new VcapiTestWallet(holder, fetchSello).claim(exchange.walletLink);
    expect(answer.status).toBe(403);
    expect(answer.body.code).toBe('credential_unavailable');
    expect(exchangeUrlOfDeepLink(exchange.walletLink)).toBe(exchange.exchangeUrl);
  });
  it('anchors the DID-bound credential on the embedded chain with the next batch, like every other credential', async () => {
    const exchange = await newExchange();
    const wallet = new VcapiTestWallet(await createWalletDid(), fetchSello);
    expect((await wallet.claim(exchange.walletLink)).status).toBe(200);
    const bound = wallet.received[0]!;
    const chain = await openTestChain({ db: t.db });
    try {
      // Two minutes on: past ANCHOR_BATCH_MAX_WAIT_S, so the waiting credentials go out by age.
      const batcher = createAnchorBatcher({ db: t.db, chain, batchSize: 100, maxWaitS: 60, log: silentLog, now: () => new Date(Date.now() + 120_000) });
      const run = await batcher.runOnce();
      expect(run.error).toBeNull();
      const anchor = await findCredentialAnchor(t.db, credentialHash(bound));
      expect(anchor).toMatchObject({ status: 'anchored', credentialId: bound.id, chainId: chain.chainId });
      expect(anchor!.txHash).toMatch(/^0x[0-9a-f]{64}$/);
    } finally {
      await chain.close();
    }
  });
});
