/**
 * Anchoring on the embedded chain and verification with nothing but an RPC endpoint
 * (Sello's read-only /chain/rpc served over HTTP).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { Wallet } from 'ethers';
import { createAnchorBatcher, type AnchorBatcher } from '../../src/chain/anchor-batcher.ts';
import { createAnchorChecker, type AnchorChecker, type AnchorQuery } from '../../src/chain/anchor-checker.ts';
import { registerIssuerKeys } from '../../src/chain/register-issuer-keys.ts';
import { revokeCredentialOnChain, unrevokeCredentialOnChain } from '../../src/chain/revoke-on-chain.ts';
import type { ChainService } from '../../src/chain/open-chain.ts';
import { RequestProvider } from '../../src/chain/request-provider.ts';
import { findCredentialAnchor } from '../../src/storage/anchor-batch-repository.ts';
import { buildApp } from '../../src/web/app.ts';
import { chainRpcRouter } from '../../src/web/public/chain-rpc.ts';
import { VERSION } from '../../src/version.ts';
import { openTestDatabase, type TestDatabase } from '../support/database.ts';
import { testSecrets } from '../support/config.ts';
import { chainTestConfig, createCredentials, createIssuer, openTestChain, silentLog, type TestCredential } from './chain-support.ts';

const DID = 'did:web:uni.example';
const KEY_ID = `${DID}#key-1`;
const MULTIBASE = 'z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK';
const KEY_VALID_FROM = new Date('2026-01-01T00:00:00Z');

describe('anchoring credentials on the embedded chain', () => {
  let db: TestDatabase;
  let chain: ChainService;
  let server: http.Server;
  let rpcUrl: string;
  let checker: AnchorChecker;
  let issuerId: string;
  let clock = new Date();
  const config = chainTestConfig({ ANCHOR_BATCH_SIZE: '100', ANCHOR_BATCH_MAX_WAIT_S: '60' });
  let batcher: AnchorBatcher;
  let app: ReturnType<typeof buildApp>;

  beforeAll(async () => {
    db = await openTestDatabase();
    chain = await openTestChain({ db, config });
    issuerId = await createIssuer(db);
    await registerIssuerKeys({
      chain,
      keys: [{ issuerDid: DID, keyId: KEY_ID, publicKeyMultibase: MULTIBASE, validFrom: KEY_VALID_FROM, validUntil: null, revoked: false }],
    });
    batcher = createAnchorBatcher({ db, chain, batchSize: 100, maxWaitS: 60, log: silentLog, now: () => clock });
    app = buildApp({
      config,
      db,
      log: silentLog,
      secrets: testSecrets(config),
      version: VERSION,
      chainHealth: () => chain.health(),
      routers: [chainRpcRouter({ db, rpc: chain.rpc, publicUrl: config.publicUrl })],
    });
    server = await new Promise((resolve) => {
      const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
    });
    rpcUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/chain/rpc`;
    checker = createAnchorChecker({ rpcUrl });
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await chain.close();
    await db.close();
  });

  const queryFor = (credential: TestCredential, overrides: Partial<AnchorQuery> = {}): AnchorQuery => ({
    credentialHash: credential.hash,
    chainId: chain.chainId,
    contract: chain.contractAddress,
    issuerDid: DID,
    verificationMethod: KEY_ID,
    validFrom: credential.validFrom,
    ...overrides,
  });

  it('groups waiting credentials by size first, then by age, one anchoring transaction per batch', async () => {
    const credentials = await createCredentials(db, { issuerId, count: 250 });
    const bySize = await batcher.runOnce();
    expect(bySize).toMatchObject({ batchesFormed: 2, batchesSent: 2, batchesAnchored: 2, error: null });
    expect(await findCredentialAnchor(db, credentials[249]!.hash)).toBeNull();

    clock = new Date(Date.now() + 61_000);
    const byAge = await batcher.runOnce();
    expect(byAge).toMatchObject({ batchesFormed: 1, batchesAnchored: 1, error: null });
    const last = await findCredentialAnchor(db, credentials[249]!.hash);
    expect(last).toMatchObject({ status: 'anchored', chainId: chain.chainId, contractAddress: chain.contractAddress });
    expect(last!.txHash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(Number(await chain.registry.getFunction('batchCount')())).toBe(3);

    const { rows } = await db.query<{ purpose: string; n: number }>(
      `SELECT purpose, count(*)::int AS n FROM chain_transactions WHERE purpose = 'anchor' GROUP BY purpose`,
    );
    expect(rows).toEqual([{ purpose: 'anchor', n: 3 }]);
    for (const credential of [credentials[0]!, credentials[150]!, credentials[249]!]) {
      expect(await checker(queryFor(credential))).toMatchObject({ valid: true });
    }
  });

  it('verifies an anchored credential with only an RPC URL, naming its transaction and key', async () => {
    const [credential] = await createCredentials(db, { issuerId, count: 1 });
    await batcher.runOnce({ flush: true });
    const record = await findCredentialAnchor(db, credential!.hash);
    const result = await checker(queryFor(credential!));
    expect(result.valid).toBe(true);
    expect(result.details).toMatchObject({
      chainId: 31337,
      contract: chain.contractAddress,
      anchor: { txHash: record!.txHash, blockNumber: record!.blockNumber, leafIndex: 0 },
      key: { keyId: KEY_ID, publicKeyMultibase: MULTIBASE, validFrom: KEY_VALID_FROM.toISOString(), validUntil: null },
    });
  });

  it('accepts the verification method given as the multibase key itself (did:key style)', async () => {
    const [credential] = await createCredentials(db, { issuerId, count: 1 });
    await batcher.runOnce({ flush: true });
    expect(await checker(queryFor(credential!, { verificationMethod: `${MULTIBASE}` }))).toMatchObject({ valid: true });
  });

  it('fails a credential revoked on-chain with revoked_on_chain, and passes again once reinstated', async () => {
    const [credential] = await createCredentials(db, { issuerId, count: 1 });
    await batcher.runOnce({ flush: true });
    await revokeCredentialOnChain({ chain, credentialHash: credential!.hash, reason: 'academic_misconduct' });
    const revoked = await checker(queryFor(credential!));
    expect(revoked).toMatchObject({ valid: false, error: 'revoked_on_chain', details: { reason: 3 } });
    await unrevokeCredentialOnChain({ chain, credentialHash: credential!.hash });
    expect(await checker(queryFor(credential!))).toMatchObject({ valid: true });
  });

  it('names the failing check when the credential claims another chain or a contract that is not a Sello registry', async () => {
    const [credential] = await createCredentials(db, { issuerId, count: 1 });
    await batcher.runOnce({ flush: true });
    expect(await checker(queryFor(credential!, { chainId: 1 }))).toMatchObject({
      valid: false,
      error: 'chain_mismatch',
      details: { claimed: 1, endpoint: 31337 },
    });
    expect(await checker(queryFor(credential!, { contract: Wallet.createRandom().address }))).toMatchObject({
      valid: false,
      error: 'contract_not_sello',
    });
    expect(await checker(queryFor(credential!, { contract: chain.signer }))).toMatchObject({ valid: false, error: 'contract_not_sello' });
  });

  it('fails a hash that was never anchored with not_anchored', async () => {
    const [credential] = await createCredentials(db, { issuerId, count: 1 });
    expect(await checker(queryFor(credential!))).toMatchObject({ valid: false, error: 'not_anchored' });
  });

  it('checks the issuer key: unknown key, key not yet valid at issuance, revoked key', async () => {
    const [credential] = await createCredentials(db, { issuerId, count: 1 });
    await batcher.runOnce({ flush: true });
    expect(await checker(queryFor(credential!, { verificationMethod: `${DID}#key-unknown` }))).toMatchObject({
      valid: false,
      error: 'key_not_registered',
    });
    expect(await checker(queryFor(credential!, { issuerDid: 'did:web:other.example' }))).toMatchObject({
      valid: false,
      error: 'key_not_registered',
    });
    expect(await checker(queryFor(credential!, { validFrom: '2025-06-01T00:00:00Z' }))).toMatchObject({
      valid: false,
      error: 'key_not_valid_at_issuance',
    });
    await registerIssuerKeys({
      chain,
      keys: [
        { issuerDid: DID, keyId: '#key-2', publicKeyMultibase: 'z6MkSecondKey', validFrom: KEY_VALID_FROM, validUntil: null, revoked: true },
      ],
    });
    expect(await checker(queryFor(credential!, { verificationMethod: `${DID}#key-2` }))).toMatchObject({
      valid: false,
      error: 'key_revoked',
    });
  });

  it('registers issuer keys idempotently and follows expiry changes', async () => {
    const key = { issuerDid: DID, keyId: KEY_ID, publicKeyMultibase: MULTIBASE, validFrom: KEY_VALID_FROM, validUntil: null, revoked: false };
    expect(await registerIssuerKeys({ chain, keys: [key] })).toMatchObject({ registered: [], unchanged: [KEY_ID] });
    const rotated = await registerIssuerKeys({
      chain,
      keys: [{ ...key, keyId: '#key-3', publicKeyMultibase: 'z6MkThirdKey', validUntil: '2026-06-01T00:00:00Z' }],
    });
    expect(rotated.registered).toEqual([`${DID}#key-3`]);
    const moved = await registerIssuerKeys({
      chain,
      keys: [{ ...key, keyId: '#key-3', publicKeyMultibase: 'z6MkThirdKey', validUntil: '2026-07-01T00:00:00Z' }],
    });
    expect(moved.expiryUpdated).toEqual([`${DID}#key-3`]);
  });

  it('finds anchors through an endpoint that caps eth_getLogs block ranges, as hosted endpoints do', async () => {
    const [credential] = await createCredentials(db, { issuerId, count: 1 });
    await batcher.runOnce({ flush: true });
    let refused = 0;
    const capped = new RequestProvider({
      chainId: chain.chainId,
      request: async (call) => {
        const filter = call.params[0] as { fromBlock?: string; toBlock?: string } | undefined;
        if (call.method === 'eth_getLogs' && Number(filter?.toBlock) - Number(filter?.fromBlock) > 3) {
          refused += 1;
          return { error: { code: -32005, message: 'block range is too large, max 4 blocks' } };
        }
        return chain.rpc(call);
      },
    });
    expect(await createAnchorChecker({ provider: capped })(queryFor(credential!))).toMatchObject({ valid: true });
    expect(refused).toBeGreaterThan(0);
  });

  it('answers an unreachable endpoint with chain_unreachable instead of throwing', async () => {
    const [credential] = await createCredentials(db, { issuerId, count: 1 });
    const offline = createAnchorChecker({ rpcUrl: 'http://127.0.0.1:9/chain/rpc' });
    expect(await offline(queryFor(credential!))).toMatchObject({ valid: false, error: 'chain_unreachable' });
  });

  it('serves read methods at /chain/rpc, singly and in batches, and refuses writes and test methods', async () => {
    const single = await request(app).post('/chain/rpc').send({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] });
    expect(single.body).toEqual({ jsonrpc: '2.0', id: 1, result: '0x7a69' });
    const batch = await request(app)
      .post('/chain/rpc')
      .send([
        { jsonrpc: '2.0', id: 1, method: 'eth_blockNumber' },
        { jsonrpc: '2.0', id: 2, method: 'eth_sendRawTransaction', params: ['0x00'] },
        { jsonrpc: '2.0', id: 3, method: 'evm_mine', params: [] },
        { jsonrpc: '2.0', id: 4, method: 'hardhat_setBalance', params: [chain.signer, '0x0'] },
        { id: 5, method: 'eth_chainId' },
      ]);
    expect(batch.body[0].result).toMatch(/^0x[0-9a-f]+$/);
    expect(batch.body.slice(1).map((answer: { error?: { code: number } }) => answer.error?.code)).toEqual([-32601, -32601, -32601, -32600]);
  });

  it('reports the chain in /health with its contract, signer balance and queue', async () => {
    const health = await request(app).get('/health');
    expect(health.status).toBe(200);
    expect(health.body.chain).toMatchObject({
      kind: 'embedded',
      chainId: 31337,
      contract: chain.contractAddress,
      ok: true,
      lowBalance: false,
      queue: { openBatches: 0, pendingMints: 0 },
    });
  });
});
