/**
 * Issue 15: the verification workers keep what they asked the main thread (DID
 * documents, status lists, chain answers) between requests, so a busy verifier does not
 * cross to the main thread and its database for the same answers every time. These tests
 * show the caches never outlive a change that matters: a key rotation, a key revoked by
 * another process (as `sello keys revoke` is), a credential revoked, a new block on chain.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIssuerKeyProvider } from '../../src/issuance/issuer-keys.ts';
import type { AnchorCheckResult, AnchorQuery } from '../../src/chain/anchor-checker.ts';
import { CHAIN_VERSION_MAX_STALENESS_MS } from '../../src/web/credential-routes.ts';
import { ADMIN, makeCredentialsApp } from './credentials-fixture.ts';

type App = Awaited<ReturnType<typeof makeCredentialsApp>>;

async function issue(t: App, email: string): Promise<Record<string, unknown>> {
  const res = await request(t.app)
    .post('/credentials/issue')
    .set('authorization', `Bearer ${ADMIN}`)
    .send({ credential: {}, options: { achievementId: t.achievement.id, recipient: { email, name: 'Ana' } } })
    .expect(201);
  return res.body.verifiableCredential;
}

const verify = (t: App, credential: unknown) => request(t.app).post('/credentials/verify').send({ verifiableCredential: credential });
const checkOf = (body: { checks: Array<{ id: string }> }, id: string) => body.checks.find((check) => check.id === id);

describe('the verification workers\' caches', () => {
  let t: App;
  let didLookUps = 0;
  let anchorChecks = 0;
  let block = 1;
  // What the chain says of the signing key; becomes revoked in a later block.
  let keyRevokedOnChain = false;
  beforeAll(async () => {
    t = await makeCredentialsApp({
      env: { VERIFY_WORKERS: '1' },
      chainVersion: async () => `31337:${block}`,
      anchorChecker: async (query: AnchorQuery): Promise<AnchorCheckResult> => {
        anchorChecks += 1;
        return keyRevokedOnChain
          ? { valid: false, error: 'key_revoked', details: { key: { keyId: query.verificationMethod } } }
          : { valid: true, details: { anchor: { credentialHash: query.credentialHash } } };
      },
    });
    // Counts what reaches this thread's resolver (the routes read it at each request).
    const resolveDid = t.keys.resolveDid;
    t.keys.resolveDid = async (did) => {
      didLookUps += 1;
      return resolveDid(did);
    };
  });
  afterAll(() => t.close());

  it('answers DIDs from the worker until a key changes, and refuses a key revoked by another process at the next request', async () => {
    const credential = await issue(t, 'ana@example.edu');
    expect((await verify(t, credential).expect(200)).body.verified).toBe(true);
    const afterFirst = didLookUps;
    expect(afterFirst).toBeGreaterThan(0);
    for (let i = 0; i < 3; i++) expect((await verify(t, credential).expect(200)).body.verified).toBe(true);
    expect(didLookUps).toBe(afterFirst);

    // A rotation changes the DID document: asked again, and the old key still verifies what it signed.
    const signedWith = (credential.proof as Array<{ verificationMethod: string }>)[0]!.verificationMethod;
    await t.keys.rotate(t.issuer.id, { reason: 'yearly rotation' });
    expect((await verify(t, credential).expect(200)).body.verified).toBe(true);
    expect(didLookUps).toBeGreaterThan(afterFirst);

    // Revoked by another process on the same database (as `sello keys revoke` does): this
    // process hears nothing of it, and the next verification refuses the key.
    const elsewhere = createIssuerKeyProvider({ db: t.db, kek: t.config.secrets.keyEncryptionKey!, publicUrl: t.config.publicUrl });
    expect((await elsewhere.revoke(t.issuer.id, { keyId: signedWith, reason: 'laptop stolen' })).changed).toBe(true);
    const refused = await verify(t, credential).expect(422);
    expect(refused.body.verified).toBe(false);
    expect(checkOf(refused.body, 'issuer_key')).toMatchObject({ valid: false, error: 'key_revoked' });
  });

  it('sees a credential revoked at the next request, though its status list was cached', async () => {
    const credential = await issue(t, 'bea@example.edu');
    expect((await verify(t, credential).expect(200)).body.verified).toBe(true);
    expect((await verify(t, credential).expect(200)).body.verified).toBe(true);
    await request(t.app)
      .post(`/admin/api/credentials/${String(credential.id).replace('urn:uuid:', '')}/status`)
      .set('authorization', `Bearer ${ADMIN}`)
      .send({ action: 'revoke', reason: 'issued in error' })
      .expect(200);
    const refused = await verify(t, credential).expect(422);
    expect(checkOf(refused.body, 'status')).toMatchObject({ valid: false, error: 'revoked' });
  });

  it('reuses a chain answer within a block only, so a key revoked on chain is refused once the next block is read', async () => {
    const credential = await issue(t, 'cai@example.edu');
    const before = anchorChecks;
    expect((await verify(t, credential).expect(200)).body.verified).toBe(true);
    expect((await verify(t, credential).expect(200)).body.verified).toBe(true);
    expect(anchorChecks).toBe(before + 1);
    // The registry revokes the key: a transaction, so a new block, read within a second.
    keyRevokedOnChain = true;
    block += 1;
    await new Promise((resolve) => setTimeout(resolve, CHAIN_VERSION_MAX_STALENESS_MS + 100));
    const refused = await verify(t, credential).expect(422);
    expect(checkOf(refused.body, 'anchored_on_chain')).toMatchObject({ valid: false, error: 'key_revoked' });
    expect(anchorChecks).toBe(before + 2);
  });
});
