/**
 * Chain figures: gas per anchored credential and per minted token, wall time to anchor
 * 1,000 credentials on the embedded chain, and time to replay a 1,000-transaction
 * journal. Each run uses a fresh in-memory database and embedded chain, through the
 * same code Sello runs (batcher, send queue, journal).
 */
import crypto from 'node:crypto';
import { Wallet } from 'ethers';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import { openDatabase, type Database } from '../src/storage/database.ts';
import { migrate } from '../src/storage/migrate.ts';
import { createAnchorBatcher } from '../src/chain/anchor-batcher.ts';
import { recordMinedTransaction, replayJournal } from '../src/chain/chain-journal.ts';
import { EMBEDDED_SIGNER_KEY, startEmbeddedChain } from '../src/chain/embedded-chain.ts';
import { openChain, type ChainService } from '../src/chain/open-chain.ts';
import { registryInterface } from '../src/chain/registry-contract.ts';
import { figure, type BenchOptions, type Figures } from './figures.ts';
import { measureGasBaselines } from './gas-baselines.ts';


const log = createLogger({ level: 'silent' });
const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', SELLO_DATA_DIR: '/tmp/sello-bench-unused' });

async function freshChain(): Promise<{ db: Database; chain: ChainService }> {
  const db = await openDatabase({ kind: 'embedded', dataDir: null });
  await migrate(db);
  const chain = await openChain({ config, db, log });
  return { db, chain };
}

async function insertCredentials(db: Database, params: { count: number; wallets?: boolean }): Promise<void> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO issuers (slug, name, url) VALUES ($1, 'Bench', 'https://bench.example') RETURNING id`,
    [`bench-${crypto.randomBytes(4).toString('hex')}`],
  );
  const issuerId = rows[0]!.id;
  let platformId: string | null = null;
  if (params.wallets) {
    const { rows: platforms } = await db.query<{ id: string }>(
      `INSERT INTO platforms (issuer_id, iss, client_id) VALUES ($1, $2, 'bench') RETURNING id`,
      [issuerId, `https://lms-${crypto.randomBytes(4).toString('hex')}.example`],
    );
    platformId = platforms[0]!.id;
  }
  for (let i = 0; i < params.count; i += 1) {
    let userId: string | null = null;
    if (platformId) {
      // A new holder per token: the realistic (and dearer) case of one credential per learner.
      const { rows: users } = await db.query<{ id: string }>(
        `INSERT INTO users (platform_id, sub, wallet_address) VALUES ($1, $2, $3) RETURNING id`,
        [platformId, crypto.randomUUID(), Wallet.createRandom().address],
      );
      userId = users[0]!.id;
    }
    const id = `urn:uuid:${crypto.randomUUID()}`;
    const hash = `0x${crypto.randomBytes(32).toString('hex')}`;
    await db.query(
      `INSERT INTO credentials (id, issuer_id, recipient_user_id, hash, document, valid_from) VALUES ($1, $2, $3, $4, '{}', now())`,
      [id, issuerId, userId, hash],
    );
  }
}

async function gasOfLast(db: Database, purpose: string): Promise<number> {
  const { rows } = await db.query<{ gas_used: number }>(
    `SELECT gas_used FROM chain_transactions WHERE purpose = $1 AND status = 'confirmed' ORDER BY id DESC LIMIT 1`,
    [purpose],
  );
  return Number(rows[0]!.gas_used);
}

/** Runs the chain benchmarks and returns their figures. */
export async function benchChain({ quick }: BenchOptions): Promise<Figures> {
  const anchorSizes = quick ? [1, 10, 100] : [1, 10, 100, 1000];
  const mintSizes = quick ? [1, 10] : [1, 10, 50];
  const timedCount = quick ? 200 : 1000;
  const anchorGas: Record<string, number> = {};
  const mintGas: Record<string, number> = {};
  {
    const { db, chain } = await freshChain();
    for (const n of anchorSizes) {
      await insertCredentials(db, { count: n });
      const batcher = createAnchorBatcher({ db, chain, batchSize: n, maxWaitS: 60, log });
      const report = await batcher.runOnce({ flush: true });
      if (report.error) throw report.error;
      anchorGas[n] = Math.round((await gasOfLast(db, 'anchor')) / n);
    }
    for (const n of mintSizes) {
      await insertCredentials(db, { count: n, wallets: true });
      const batcher = createAnchorBatcher({ db, chain, batchSize: n, maxWaitS: 60, log });
      const report = await batcher.runOnce({ flush: true });
      if (report.error) throw report.error;
      mintGas[n] = Math.round((await gasOfLast(db, 'mint')) / n);
    }
    await chain.close();
    await db.close();
  }

  let anchorSeconds: number;
  {
    const { db, chain } = await freshChain();
    await insertCredentials(db, { count: timedCount });
    const batcher = createAnchorBatcher({ db, chain, batchSize: config.chain.anchorBatchSize, maxWaitS: 60, log });
    const started = performance.now();
    const report = await batcher.runOnce({ flush: true });
    anchorSeconds = (performance.now() - started) / 1000;
    if (report.error) throw report.error;
    await chain.close();
    await db.close();
  }

  let replaySeconds: number;
  {
    const { db, chain } = await freshChain();
    // 999 more transactions after the deployment: one-leaf anchors, journaled as Sello
    // journals them. Signed here with fixed gas (no estimate per transaction): only the
    // replay is timed, and building its journal through the queue would take a minute.
    const signer = new Wallet(EMBEDDED_SIGNER_KEY);
    const firstNonce = await chain.provider.getTransactionCount(signer.address);
    for (let i = 0; i < timedCount - 1; i += 1) {
      const rawTx = await signer.signTransaction({
        type: 2,
        chainId: chain.chainId,
        nonce: firstNonce + i,
        to: chain.contractAddress,
        data: registryInterface.encodeFunctionData('anchorBatch', [[`0x${crypto.randomBytes(32).toString('hex')}`]]),
        gasLimit: 100_000n,
        maxFeePerGas: 10_000_000_000n,
        maxPriorityFeePerGas: 1_000_000_000n,
      });
      const sent = await chain.embedded!.request({ method: 'eth_sendRawTransaction', params: [rawTx] });
      if (sent.error) throw new Error(sent.error.message);
      await recordMinedTransaction({ db, request: chain.embedded!.request, chainId: chain.chainId, rawTx, txHash: sent.result as string });
    }
    await chain.close();
    const fresh = await startEmbeddedChain();
    const replay = await replayJournal({ db, request: fresh.request, chainId: fresh.chainId });
    if (replay.transactions !== timedCount) throw new Error(`expected ${timedCount} journal entries, got ${replay.transactions}`);
    replaySeconds = replay.seconds;
    await fresh.close();
    await db.close();
  }

  const largestAnchor = anchorSizes.at(-1)!;
  const largestMint = mintSizes.at(-1)!;
  const baselines = await measureGasBaselines({ mints: 10, anchorBatch: largestAnchor });
  return {
    gas_anchor_per_credential: figure({
      value: anchorGas[largestAnchor],
      unit: 'gas',
      better: 'lower',
      baseline: { name: 'baseline_gas_anchor_event', value: baselines.anchorPerCredential },
      detail: { batchSize: largestAnchor, byBatchSize: anchorGas },
    }),
    gas_mint_per_token: figure({
      value: mintGas[largestMint],
      unit: 'gas',
      better: 'lower',
      baseline: { name: 'baseline_gas_mint_oz', value: baselines.mintPerToken },
      detail: { batchSize: largestMint, byBatchSize: mintGas },
    }),
    baseline_gas_anchor_event: figure({ value: baselines.anchorPerCredential, unit: 'gas', better: 'lower', detail: { contract: 'one indexed event per credential, one transaction', batchSize: largestAnchor } }),
    baseline_gas_mint_oz: figure({ value: baselines.mintPerToken, unit: 'gas', better: 'lower', detail: { contract: 'OpenZeppelin 5 ERC721URIStorage, one mint per token, 76-character URI, new holder', mints: 10 } }),
    [`anchor_${timedCount}_embedded_s`]: figure({ value: anchorSeconds, unit: 's', better: 'lower' }),
    [`replay_${timedCount}_tx_s`]: figure({ value: replaySeconds, unit: 's', better: 'lower' }),
  };
}

export default benchChain;
