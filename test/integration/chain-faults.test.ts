/**
 * Faults: an RPC endpoint that is down, on another chain, re-orging or reusing a nonce;
 * a signer out of funds; a transaction that does not fit in a block; gas above the
 * ceiling. In every case the error is named, nothing is lost, and no batch is anchored
 * twice.
 */
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Wallet, id } from 'ethers';
import { createAnchorBatcher } from '../../src/chain/anchor-batcher.ts';
import { EMBEDDED_SIGNER_KEY } from '../../src/chain/embedded-chain.ts';
import type { ChainService } from '../../src/chain/open-chain.ts';
import { findCredentialAnchor, listOpenBatches } from '../../src/storage/anchor-batch-repository.ts';
import { openTestDatabase, type TestDatabase } from '../support/database.ts';
import { chainTestConfig, createCredentials, createIssuer, openTestChain, silentLog } from './chain-support.ts';
import { startRpcNode, type RpcNode } from './chain-rpc-node.ts';

const rpcEnv = (url: string, extra: Record<string, string> = {}) =>
  chainTestConfig({ CHAIN_RPC_URL: url, CHAIN_SIGNER_KEY: EMBEDDED_SIGNER_KEY, ...extra });

describe('chain faults', () => {
  let db: TestDatabase;
  let issuerId: string;
  const opened: Array<ChainService | RpcNode> = [];

  beforeAll(async () => {
    db = await openTestDatabase();
    issuerId = await createIssuer(db);
  });
  afterEach(async () => {
    for (const resource of opened.splice(0)) await resource.close();
    // Each scenario starts from an empty queue on a fresh chain.
    await db.exec('DELETE FROM token_mints; DELETE FROM credential_anchors; DELETE FROM anchor_batches; DELETE FROM chain_transactions; DELETE FROM chain_journal; DELETE FROM chain_deployments; DELETE FROM credentials;');
  });
  afterAll(async () => {
    await db.close();
  });

  async function node(): Promise<RpcNode> {
    const started = await startRpcNode();
    opened.push(started);
    return started;
  }
  async function chainOn(config = chainTestConfig()): Promise<ChainService> {
    const chain = await openTestChain({ db, config });
    opened.push(chain);
    return chain;
  }

  it('stops start-up with a clear message when the RPC endpoint is unreachable', async () => {
    const down = await node();
    await down.stop();
    await expect(openTestChain({ db, config: rpcEnv(down.url) })).rejects.toMatchObject({
      code: 'chain_unreachable',
      message: expect.stringContaining(`Cannot reach the chain RPC at http://127.0.0.1:`),
    });
  });

  it('stops start-up when the endpoint is another chain than CHAIN_ID', async () => {
    const up = await node();
    await expect(openTestChain({ db, config: rpcEnv(up.url, { CHAIN_ID: '1' }) })).rejects.toMatchObject({
      code: 'chain_id_mismatch',
      message: expect.stringContaining('is chain 31337, but CHAIN_ID is 1'),
    });
  });

  it('refuses a CHAIN_CONTRACT_ADDRESS that is not a Sello registry', async () => {
    const up = await node();
    await expect(
      openTestChain({ db, config: rpcEnv(up.url, { CHAIN_CONTRACT_ADDRESS: Wallet.createRandom().address }) }),
    ).rejects.toMatchObject({ code: 'contract_not_sello' });
  });

  it('uses the registry named by CHAIN_CONTRACT_ADDRESS, and names the missing role when its signer may not anchor', async () => {
    const up = await node();
    const deployer = await openTestChain({ db, config: rpcEnv(up.url, { CHAIN_CONFIRMATIONS: '0' }) });
    const contract = deployer.contractAddress;
    await deployer.close();

    const outsider = Wallet.createRandom();
    await up.chain.request({ method: 'hardhat_setBalance', params: [outsider.address, '0xde0b6b3a7640000'] });
    const chain = await chainOn(
      chainTestConfig({ CHAIN_RPC_URL: up.url, CHAIN_SIGNER_KEY: outsider.privateKey, CHAIN_CONTRACT_ADDRESS: contract, CHAIN_CONFIRMATIONS: '0' }),
    );
    expect(chain.contractAddress).toBe(contract);
    await createCredentials(db, { issuerId, count: 1 });
    const report = await createAnchorBatcher({ db, chain, batchSize: 100, maxWaitS: 60, log: silentLog }).runOnce({ flush: true });
    expect(report.error).toMatchObject({
      code: 'transaction_would_revert',
      details: { error: 'AccessControlUnauthorizedAccount', args: [outsider.address, id('ANCHORER_ROLE')] },
    });
    expect(await listOpenBatches(db, chain.chainId)).toMatchObject([{ status: 'pending', txId: null }]);
  });

  it('keeps every credential while the RPC is down, says so in /health, backs off, and anchors once it is back', async () => {
    const up = await node();
    const chain = await chainOn(rpcEnv(up.url, { CHAIN_CONFIRMATIONS: '0' }));
    const credentials = await createCredentials(db, { issuerId, count: 5 });
    await up.stop();

    const lines: Array<{ msg: string; retryInMs?: number; code?: string }> = [];
    const log = pino(
      { level: 'warn' },
      new Writable({
        write(chunk, _encoding, done) {
          lines.push(JSON.parse(String(chunk)));
          done();
        },
      }),
    );
    const batcher = createAnchorBatcher({ db, chain, batchSize: 100, maxWaitS: 0.01, log, pollMs: 20, maxBackoffMs: 200 });
    const retries = () => lines.filter((line) => line.msg === 'anchoring pass failed; retrying');
    batcher.start();
    for (let waited = 0; retries().length < 5 && waited < 10_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    await batcher.stop();
    expect(retries().every((line) => line.code === 'chain_unreachable')).toBe(true);
    // Doubling from the poll interval, capped at maxBackoffMs.
    expect(retries().slice(0, 5).map((line) => line.retryInMs)).toEqual([40, 80, 160, 200, 200]);

    const health = await chain.health();
    expect(health).toMatchObject({ ok: false, kind: 'rpc' });
    expect(health.error).toMatch(/^chain_unreachable/);
    expect(await listOpenBatches(db, chain.chainId)).toMatchObject([{ status: 'pending', leafCount: 5 }]);
    expect((await listOpenBatches(db, chain.chainId))[0]!.lastError).toMatch(/^chain_unreachable/);

    await up.start();
    expect(await createAnchorBatcher({ db, chain, batchSize: 100, maxWaitS: 60, log: silentLog }).runOnce()).toMatchObject({
      batchesSent: 1,
      batchesAnchored: 1,
      error: null,
    });
    for (const credential of credentials) expect(await findCredentialAnchor(db, credential.hash)).toMatchObject({ status: 'anchored' });
    expect(Number(await chain.registry.getFunction('batchCount')())).toBe(1);
    expect(await chain.health()).toMatchObject({ ok: true });
  });

  it('waits for confirmations, and resends the same bytes when a re-org drops the anchor, never anchoring twice', async () => {
    const up = await node();
    // Deploy with no confirmations (this node mines only on demand), then count two.
    await (await openTestChain({ db, config: rpcEnv(up.url, { CHAIN_CONFIRMATIONS: '0' }) })).close();
    const chain = await chainOn(rpcEnv(up.url, { CHAIN_CONFIRMATIONS: '2' }));
    const batcher = createAnchorBatcher({ db, chain, batchSize: 100, maxWaitS: 60, log: silentLog });
    const [credential] = await createCredentials(db, { issuerId, count: 1 });
    const { result: snapshotId } = await up.chain.request({ method: 'evm_snapshot', params: [] });

    expect(await batcher.runOnce({ flush: true })).toMatchObject({ batchesSent: 1, batchesAnchored: 0 });
    const sent = await findCredentialAnchor(db, credential!.hash);
    expect(sent).toMatchObject({ status: 'sent' });

    // The block carrying the anchor is re-orged away.
    await up.chain.request({ method: 'evm_revert', params: [snapshotId] });
    expect(await chain.provider.getTransactionReceipt(sent!.txHash!)).toBeNull();
    await up.chain.request({ method: 'evm_mine', params: [] });

    expect(await batcher.runOnce()).toMatchObject({ batchesAnchored: 0, error: null }); // resent: 1 block deep
    const receipt = await chain.provider.getTransactionReceipt(sent!.txHash!);
    expect(receipt?.status).toBe(1);
    await up.chain.request({ method: 'evm_mine', params: [] });
    expect(await batcher.runOnce()).toMatchObject({ batchesAnchored: 1, error: null });
    expect(await findCredentialAnchor(db, credential!.hash)).toMatchObject({ status: 'anchored', txHash: sent!.txHash });
    expect(Number(await chain.registry.getFunction('batchCount')())).toBe(1);
  });

  it('re-anchors a batch whose nonce was taken by another transaction, exactly once', async () => {
    const up = await node();
    await (await openTestChain({ db, config: rpcEnv(up.url, { CHAIN_CONFIRMATIONS: '0' }) })).close();
    const chain = await chainOn(rpcEnv(up.url, { CHAIN_CONFIRMATIONS: '2' }));
    const batcher = createAnchorBatcher({ db, chain, batchSize: 100, maxWaitS: 60, log: silentLog });
    const [credential] = await createCredentials(db, { issuerId, count: 1 });
    const { result: snapshotId } = await up.chain.request({ method: 'evm_snapshot', params: [] });
    await batcher.runOnce({ flush: true });
    const first = await findCredentialAnchor(db, credential!.hash);

    // Re-org, then someone else holding the key uses the same nonce for a transfer.
    await up.chain.request({ method: 'evm_revert', params: [snapshotId] });
    const other = new Wallet(EMBEDDED_SIGNER_KEY, chain.provider);
    await (await other.sendTransaction({ to: Wallet.createRandom().address, value: 1n })).wait();

    expect(await batcher.runOnce()).toMatchObject({ batchesSent: 1, batchesAnchored: 0, error: null });
    await up.chain.request({ method: 'evm_mine', params: [] });
    expect(await batcher.runOnce()).toMatchObject({ batchesAnchored: 1, error: null });
    const anchored = await findCredentialAnchor(db, credential!.hash);
    expect(anchored).toMatchObject({ status: 'anchored' });
    expect(anchored!.txHash).not.toBe(first!.txHash);
    const { rows } = await db.query<{ status: string }>(`SELECT status FROM chain_transactions WHERE purpose = 'anchor' ORDER BY id`);
    expect(rows.map((row) => row.status)).toEqual(['dropped', 'confirmed']);
    expect(Number(await chain.registry.getFunction('batchCount')())).toBe(1);
  });

  it('reports insufficient funds clearly, keeps the batch pending, warns in /health, and anchors once funded', async () => {
    const chain = await chainOn();
    const [credential] = await createCredentials(db, { issuerId, count: 1 });
    await chain.embedded!.request({ method: 'hardhat_setBalance', params: [chain.signer, '0x1'] });

    const report = await createAnchorBatcher({ db, chain, batchSize: 100, maxWaitS: 60, log: silentLog }).runOnce({ flush: true });
    expect(report.error).toMatchObject({ code: 'insufficient_funds', message: expect.stringContaining(`The signer ${chain.signer} has 0.000000000000000001 ETH`) });
    expect(await listOpenBatches(db, chain.chainId)).toMatchObject([{ status: 'pending', lastError: expect.stringMatching(/^insufficient_funds/) }]);
    const health = await chain.health();
    expect(health).toMatchObject({ lowBalance: true, warnings: [expect.stringMatching(/^low_balance/)] });

    await chain.embedded!.request({ method: 'hardhat_setBalance', params: [chain.signer, '0xde0b6b3a7640000'] });
    expect(await createAnchorBatcher({ db, chain, batchSize: 100, maxWaitS: 60, log: silentLog }).runOnce()).toMatchObject({
      batchesAnchored: 1,
      error: null,
    });
    expect(await findCredentialAnchor(db, credential!.hash)).toMatchObject({ status: 'anchored' });
  });

  it('reports out of gas when a batch does not fit the block, keeps it pending, and anchors when it fits', async () => {
    const chain = await chainOn();
    const [credential] = await createCredentials(db, { issuerId, count: 1 });
    await chain.embedded!.request({ method: 'evm_setBlockGasLimit', params: ['0x7530'] }); // 30,000
    const report = await createAnchorBatcher({ db, chain, batchSize: 100, maxWaitS: 60, log: silentLog }).runOnce({ flush: true });
    expect(report.error?.code).toBe('out_of_gas');
    expect(await listOpenBatches(db, chain.chainId)).toMatchObject([{ status: 'pending', lastError: expect.stringMatching(/^out_of_gas/) }]);
    expect(await createAnchorBatcher({ db, chain, batchSize: 100, maxWaitS: 60, log: silentLog }).runOnce()).toMatchObject({
      batchesSent: 0,
      error: { code: 'out_of_gas' },
    });

    await chain.embedded!.request({ method: 'evm_setBlockGasLimit', params: ['0x3938700'] });
    expect(await createAnchorBatcher({ db, chain, batchSize: 100, maxWaitS: 60, log: silentLog }).runOnce()).toMatchObject({
      batchesAnchored: 1,
      error: null,
    });
    expect(await findCredentialAnchor(db, credential!.hash)).toMatchObject({ status: 'anchored' });
    expect(Number(await chain.registry.getFunction('batchCount')())).toBe(1);
  });

  it('lets two Sello processes share the database and the signer without anchoring or minting anything twice', async () => {
    const up = await node();
    const config = rpcEnv(up.url, { CHAIN_CONFIRMATIONS: '0' });
    const first = await chainOn(config);
    const second = await chainOn(config);
    expect(second.contractAddress).toBe(first.contractAddress);
    const credentials = await createCredentials(db, { issuerId, count: 30 });
    const reports = await Promise.all(
      [first, second].map((chain) => createAnchorBatcher({ db, chain, batchSize: 10, maxWaitS: 60, log: silentLog }).runOnce()),
    );
    expect(reports.map((report) => report.error)).toEqual([null, null]);
    expect(reports[0]!.batchesSent + reports[1]!.batchesSent).toBe(3);
    await createAnchorBatcher({ db, chain: first, batchSize: 10, maxWaitS: 60, log: silentLog }).runOnce();
    expect(Number(await first.registry.getFunction('batchCount')())).toBe(3);
    for (const credential of credentials) expect(await findCredentialAnchor(db, credential.hash)).toMatchObject({ status: 'anchored' });
    const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM chain_transactions WHERE purpose = 'anchor'`);
    expect(rows[0]!.n).toBe(3);
  });

  it('refuses to pay more than CHAIN_MAX_GAS_PRICE_GWEI', async () => {
    await expect(openTestChain({ db, config: chainTestConfig({ CHAIN_MAX_GAS_PRICE_GWEI: '0.001' }) })).rejects.toMatchObject({
      code: 'gas_price_too_high',
    });
  });
});
