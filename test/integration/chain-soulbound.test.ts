/**
 * Soulbound tokens: minted after anchoring for learners with a wallet, claimed later by
 * linking a wallet, never transferable.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { Contract, Wallet } from 'ethers';
import { createAnchorBatcher, type AnchorBatcher } from '../../src/chain/anchor-batcher.ts';
import { linkWallet } from '../../src/chain/link-wallet.ts';
import type { ChainService } from '../../src/chain/open-chain.ts';
import { decodeRegistryError } from '../../src/chain/rpc-errors.ts';
import { buildApp } from '../../src/web/app.ts';
import { chainRpcRouter } from '../../src/web/public/chain-rpc.ts';
import { chainWalletRouter } from '../../src/web/learner/chain-wallet.ts';
import { VERSION } from '../../src/version.ts';
import { openTestDatabase, type TestDatabase } from '../support/database.ts';
import { testSecrets } from '../support/config.ts';
import { chainTestConfig, createCredentials, createIssuer, createUser, openTestChain, silentLog } from './chain-support.ts';

describe('soulbound credential tokens', () => {
  const config = chainTestConfig();
  const learnerWallet = Wallet.createRandom();
  let db: TestDatabase;
  let chain: ChainService;
  let batcher: AnchorBatcher;
  let issuerId: string;
  let app: ReturnType<typeof buildApp>;
  const admin = { Authorization: `Bearer ${config.secrets.adminToken}` };

  beforeAll(async () => {
    db = await openTestDatabase();
    chain = await openTestChain({ db, config, fundedAccounts: [learnerWallet.address] });
    batcher = createAnchorBatcher({ db, chain, batchSize: 100, maxWaitS: 60, log: silentLog });
    issuerId = await createIssuer(db);
    app = buildApp({
      config,
      db,
      log: silentLog,
      secrets: testSecrets(config),
      version: VERSION,
      routers: [
        chainRpcRouter({ db, rpc: chain.rpc, publicUrl: config.publicUrl }),
        chainWalletRouter({ db, adminToken: config.secrets.adminToken! }),
      ],
    });
  });
  afterAll(async () => {
    await chain.close();
    await db.close();
  });

  const ownerOf = (hash: string) => chain.registry.getFunction('ownerOf')(BigInt(hash)) as Promise<string>;

  it('mints a token, id = credential hash, to a learner who has a wallet, in the same pass as the anchor', async () => {
    const userId = await createUser(db, { issuerId, walletAddress: learnerWallet.address });
    const [credential] = await createCredentials(db, { issuerId, count: 1, recipientUserId: userId });
    const report = await batcher.runOnce({ flush: true });
    expect(report).toMatchObject({ batchesAnchored: 1, tokensSent: 1, tokensMinted: 1, error: null });
    expect(await ownerOf(credential!.hash)).toBe(learnerWallet.address);
    expect(await chain.registry.getFunction('locked')(BigInt(credential!.hash))).toBe(true);
    // Metadata built on chain (it outlives Sello); Sello's richer metadata is its external_url.
    const uri = (await chain.registry.getFunction('tokenURI')(BigInt(credential!.hash))) as string;
    const metadata = JSON.parse(Buffer.from(uri.replace('data:application/json;base64,', ''), 'base64').toString('utf8'));
    expect(metadata).toMatchObject({ credential_hash: credential!.hash, locked: true, external_url: `${config.publicUrl}/chain/tokens/${credential!.hash}` });
  });

  it('reverts the learner\'s own transfer with SoulboundTokenLocked(tokenId)', async () => {
    const userId = await createUser(db, { issuerId, walletAddress: learnerWallet.address });
    const [credential] = await createCredentials(db, { issuerId, count: 1, recipientUserId: userId });
    await batcher.runOnce({ flush: true });
    const asLearner = new Contract(chain.contractAddress, chain.registry.interface, learnerWallet.connect(chain.provider));
    let revertData: unknown = null;
    try {
      await asLearner.getFunction('transferFrom')(learnerWallet.address, Wallet.createRandom().address, BigInt(credential!.hash));
    } catch (error) {
      revertData = (error as { data?: unknown }).data;
    }
    expect(decodeRegistryError(revertData)).toEqual({ name: 'SoulboundTokenLocked', args: [BigInt(credential!.hash).toString()] });
    expect(await ownerOf(credential!.hash)).toBe(learnerWallet.address);
  });

  it('lets a learner who links a wallet later claim tokens for every credential already anchored', async () => {
    const userId = await createUser(db, { issuerId });
    const credentials = await createCredentials(db, { issuerId, count: 3, recipientUserId: userId });
    expect(await batcher.runOnce({ flush: true })).toMatchObject({ batchesAnchored: 1, tokensSent: 0 });
    const wallet = Wallet.createRandom().address;
    const response = await request(app).post('/chain/wallet').set(admin).send({ userId, walletAddress: wallet });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ userId, walletAddress: wallet, queuedTokens: 3 });
    expect(await batcher.runOnce()).toMatchObject({ tokensMinted: 3, error: null });
    for (const credential of credentials) expect(await ownerOf(credential.hash)).toBe(wallet);
    expect(await chain.registry.getFunction('balanceOf')(wallet)).toBe(3n);
  });

  it('answers 400 invalid_wallet_address for an address that is not EIP-55 checksummed', async () => {
    const userId = await createUser(db, { issuerId });
    const good = Wallet.createRandom().address;
    for (const walletAddress of [good.toLowerCase(), `0x${good.slice(2).toUpperCase()}`, good.slice(0, 41), 'not an address', 42, null]) {
      const response = await request(app).post('/chain/wallet').set(admin).send({ userId, walletAddress });
      expect(response.status, String(walletAddress)).toBe(400);
      expect(response.body.code).toBe('invalid_wallet_address');
    }
    await expect(linkWallet({ db, userId, walletAddress: good.toLowerCase() })).rejects.toMatchObject({ code: 'invalid_wallet_address' });
  });

  it('answers 401 without a session or admin token and 404 for an unknown user', async () => {
    const wallet = Wallet.createRandom().address;
    expect((await request(app).post('/chain/wallet').send({ walletAddress: wallet })).status).toBe(401);
    const unknown = await request(app).post('/chain/wallet').set(admin).send({ userId: crypto.randomUUID(), walletAddress: wallet });
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('user_not_found');
  });

  it('serves ERC-721 metadata at the token URI', async () => {
    const userId = await createUser(db, { issuerId, walletAddress: learnerWallet.address });
    const [credential] = await createCredentials(db, { issuerId, count: 1, recipientUserId: userId });
    await batcher.runOnce({ flush: true });
    const metadata = await request(app).get(`/chain/tokens/${credential!.hash}`);
    expect(metadata.status).toBe(200);
    expect(metadata.body).toMatchObject({ external_url: `${config.publicUrl}/credentials/${encodeURIComponent(credential!.id)}` });
    expect((await request(app).get(`/chain/tokens/0x${'00'.repeat(32)}`)).status).toBe(404);
  });

  it("sends a browser following the token's external_url to the credential's page", async () => {
    const [credential] = await createCredentials(db, { issuerId, count: 1 });
    const page = await request(app).get(`/chain/tokens/${credential!.hash}`).set('accept', 'text/html,application/xhtml+xml,*/*;q=0.8');
    expect(page.status).toBe(303);
    expect(page.headers.location).toBe(`${config.publicUrl}/credentials/${encodeURIComponent(credential!.id)}`);
  });
});
