/**
 * A real signed OB 3.0 credential, issued by the credentials capability with its chain
 * reference, anchored by the batcher, and checked by the verifier's `anchored_on_chain`
 * step through nothing but Sello's public /chain/rpc URL.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAnchorBatcher } from '../../src/chain/anchor-batcher.ts';
import { createAnchorChecker } from '../../src/chain/anchor-checker.ts';
import type { ChainService } from '../../src/chain/open-chain.ts';
import { registerIssuerKeys } from '../../src/chain/register-issuer-keys.ts';
import { revokeCredentialOnChain } from '../../src/chain/revoke-on-chain.ts';
import { credentialHash } from '../../src/credentials/credential-hash.ts';
import { createDocumentLoader } from '../../src/credentials/document-loader.ts';
import { verifyCredential, type VerificationReport } from '../../src/credentials/verify.ts';
import { readChainReference } from '../../src/credentials/chain-reference.ts';
import { createIssuerKeyProvider, listAllIssuerKeys } from '../../src/issuance/issuer-keys.ts';
import { issueCredential } from '../../src/issuance/issue-credential.ts';
import { setCredentialStatus } from '../../src/issuance/credential-status.ts';
import type { StoredCredential } from '../../src/storage/credential-repository.ts';
import { buildApp } from '../../src/web/app.ts';
import { chainRpcRouter } from '../../src/web/public/chain-rpc.ts';
import { credentialsRouter } from '../../src/web/credentials.ts';
import request from 'supertest';
import { VERSION } from '../../src/version.ts';
import { openTestDatabase, type TestDatabase } from '../support/database.ts';
import { testSecrets } from '../support/config.ts';
import { seedCourse } from '../support/issuance/course-fixture.ts';
import { chainTestConfig, openTestChain, silentLog } from './chain-support.ts';

describe('a signed credential anchored on chain', () => {
  const config = chainTestConfig();
  let db: TestDatabase;
  let chain: ChainService;
  let server: http.Server;
  let rpcUrl: string;
  let credential: StoredCredential;
  let keys: ReturnType<typeof createIssuerKeyProvider>;
  let issueAnother: () => Promise<StoredCredential>;
  let batcher: ReturnType<typeof createAnchorBatcher>;

  beforeAll(async () => {
    db = await openTestDatabase();
    chain = await openTestChain({ db, config });
    const app = buildApp({
      config,
      db,
      log: silentLog,
      secrets: testSecrets(config),
      version: VERSION,
      routers: [chainRpcRouter({ db, rpc: chain.rpc, publicUrl: config.publicUrl })],
    });
    server = await new Promise((resolve) => {
      const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
    });
    rpcUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/chain/rpc`;

    const course = await seedCourse(db, { learners: ['ana'] });
    const { rows } = await db.query<{ id: string }>(`SELECT id FROM users WHERE sub = 'ana'`);
    keys = createIssuerKeyProvider({ db, kek: config.secrets.keyEncryptionKey!, publicUrl: config.publicUrl });
    issueAnother = () =>
      issueCredential({
        db,
        keys,
        publicUrl: config.publicUrl,
        chainReference: { chainId: chain.chainId, contract: chain.contractAddress },
        issuerId: course.issuerId,
        achievement: course.achievement,
        recipient: { userId: rows[0]!.id, name: 'Ana', email: 'ana@u.example' },
      });
    credential = await issueAnother();
    batcher = createAnchorBatcher({
      db,
      chain,
      batchSize: 100,
      maxWaitS: 60,
      log: silentLog,
      syncIssuerKeys: async () => {
        await registerIssuerKeys({ chain, keys: await listAllIssuerKeys({ db, publicUrl: config.publicUrl }) });
      },
    });
    expect(await batcher.runOnce({ flush: true })).toMatchObject({ batchesAnchored: 1, error: null });
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await chain.close();
    await db.close();
  });

  async function anchorCheck(document: unknown): Promise<VerificationReport['checks'][number] | undefined> {
    // The file as a holder would pass it around: plain JSON, no Sello objects.
    const file = JSON.parse(JSON.stringify(document));
    const report = await verifyCredential(file, {
      documentLoader: createDocumentLoader({ resolveDid: keys.resolveDid }),
      statusListLoader: async () => {
        throw new Error('status lists are not part of this test');
      },
      anchorChecker: createAnchorChecker({ rpcUrl }),
    });
    return report.checks.find((check) => check.id === 'anchored_on_chain');
  }

  it('carries eip155:<chainId>:<contract>, and its hash is the anchored leaf', () => {
    expect(readChainReference(credential.document)).toEqual({ chainId: 31337, contract: chain.contractAddress });
    expect(credentialHash(JSON.parse(JSON.stringify(credential.document)))).toBe(credential.hash);
  });

  it('passes anchored_on_chain with only the credential file and an RPC URL', async () => {
    const check = await anchorCheck(credential.document);
    expect(check).toMatchObject({ valid: true });
    expect(check?.skipped).toBeFalsy();
  });

  it('fails anchored_on_chain when one character of the credential changes (another hash, never anchored)', async () => {
    const tampered = { ...credential.document, name: `${String(credential.document.name ?? '')}!` };
    expect(await anchorCheck(tampered)).toMatchObject({ valid: false, error: 'not_anchored' });
  });

  it('mirrors a revocation made in Sello onto the chain, after the credential is anchored', async () => {
    const revokedEarly = await issueAnother();
    await setCredentialStatus({
      db,
      credentialId: revokedEarly.id,
      purpose: 'revocation',
      value: true,
      reason: 'issued in error',
      actor: 'test',
    });
    expect(await batcher.runOnce({ flush: true })).toMatchObject({ batchesAnchored: 1, revocationsSent: 1, error: null });
    expect(await anchorCheck(revokedEarly.document)).toMatchObject({ valid: false, error: 'revoked_on_chain', details: { reason: 1 } });
    const { rows } = await db.query<{ chain_tx_hash: string }>(
      'SELECT chain_tx_hash FROM credential_status_events WHERE credential_id = $1',
      [revokedEarly.id],
    );
    expect(rows[0]!.chain_tx_hash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(await batcher.runOnce()).toMatchObject({ revocationsSent: 0, error: null });
  });

  it('fails anchored_on_chain with revoked_on_chain once revoked on-chain', async () => {
    await revokeCredentialOnChain({ chain, credentialHash: credential.hash, reason: 'issued_in_error' });
    expect(await anchorCheck(credential.document)).toMatchObject({ valid: false, error: 'revoked_on_chain' });
  });

  it('shows a just-issued credential as verified with its anchoring pending, then as anchored', async () => {
    const pageApp = buildApp({
      config,
      db,
      log: silentLog,
      secrets: testSecrets(config),
      version: VERSION,
      routers: [
        credentialsRouter({
          db,
          keys,
          publicUrl: config.publicUrl,
          adminToken: testSecrets(config).adminToken,
          defaultIssuerId: credential.issuerId,
          chainReference: () => ({ chainId: chain.chainId, contract: chain.contractAddress }),
          anchorChecker: createAnchorChecker({ rpcUrl }),
        }),
      ],
    });
    const fresh = await issueAnother();
    const page = () => request(pageApp).get(`/credentials/${fresh.id.replace('urn:uuid:', '')}`).set('accept', 'text/html');
    const waiting = await page().expect(200);
    expect(waiting.text).toContain('Verified credential · anchoring on the blockchain pending');
    expect(waiting.text).toContain('check-pending');
    // Its mark is in the fonts a Linux desktop has (DejaVu): the hourglass emoji drew an empty box there.
    expect(waiting.text).toContain('<li class="check-pending"><span class="mark" aria-hidden="true">◷</span>');
    expect(waiting.text).not.toContain('did not pass verification');
    // Unchanged while it waits: a browser that has the page gets a 304.
    await page().set('if-none-match', waiting.headers.etag!).expect(304);
    // The JSON verification agrees with the page on Sello's own server (issue 14.5):
    // queued for anchoring in Sello's records is pending, not a failure.
    const pending = await request(pageApp).post('/credentials/verify').send({ verifiableCredential: fresh.document }).expect(200);
    expect(pending.body.verified).toBe(true);
    expect(pending.body.checks.find((c: { id: string }) => c.id === 'anchored_on_chain')).toMatchObject({
      valid: true,
      skipped: true,
      error: 'anchoring_pending',
      details: { pending: true, countsTowardVerified: false },
    });
    // A credential Sello never recorded (here: one character changed) stays strict.
    const foreign = { ...fresh.document, name: `${String(fresh.document.name ?? '')}!` };
    const strict = await request(pageApp).post('/credentials/verify').send({ verifiableCredential: foreign }).expect(422);
    expect(strict.body.checks.find((c: { id: string }) => c.id === 'anchored_on_chain')).toMatchObject({ valid: false, error: 'not_anchored' });
    // Without Sello's records (as `sello verify` checks it), the same credential is not anchored yet.
    expect(await anchorCheck(fresh.document)).toMatchObject({ valid: false, error: 'not_anchored' });

    expect(await batcher.runOnce({ flush: true })).toMatchObject({ batchesAnchored: 1, error: null });
    const anchoredReport = await request(pageApp).post('/credentials/verify').send({ verifiableCredential: fresh.document }).expect(200);
    expect(anchoredReport.body.checks.find((c: { id: string }) => c.id === 'anchored_on_chain')).toMatchObject({ valid: true });
    expect(anchoredReport.body.checks.find((c: { id: string }) => c.id === 'anchored_on_chain').details.pending).toBeUndefined();
    // The cached pending page ends when its batch is anchored: the same tag now gets the new page.
    const anchored = await page().set('if-none-match', waiting.headers.etag!).expect(200);
    expect(anchored.headers.etag).not.toBe(waiting.headers.etag);
    expect(anchored.text).toContain('Verified credential');
    expect(anchored.text).not.toContain('pending');
    expect(anchored.text).not.toContain('check-pending');
  });
});
