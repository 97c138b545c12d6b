/**
 * The embedded chain's journal: every transaction it mined, with the block's timestamp,
 * so that start-up can rebuild the exact same chain (the EVM keeps no state on disk).
 *
 * Replay sends the recorded signed bytes in the recorded order, each after
 * `evm_setNextBlockTimestamp` to its recorded time; from the pinned genesis that yields
 * byte-identical transaction hashes, block hashes and state (1,000 transactions ≈ 0.6 s).
 */
import type { Database, Queryable } from '../storage/database.ts';
import { appendJournalEntry, listJournal } from '../storage/chain-journal-repository.ts';
import { ChainError } from './chain-error.ts';
import type { JsonRpcRequestFunction } from './request-provider.ts';

interface RpcBlock {
  number: string;
  hash: string;
  timestamp: string;
}

async function call<T>(request: JsonRpcRequestFunction, method: string, params: unknown[]): Promise<T> {
  const answer = await request({ method, params });
  if (answer.error) {
    throw new ChainError('journal_replay_mismatch', `${method} failed during journal work: ${answer.error.message}`, {
      method,
      rpcError: answer.error,
    });
  }
  return answer.result as T;
}

/**
 * Records a transaction the embedded chain has just mined (it mines on arrival).
 * Call in send order: the journal's order is the replay order.
 */
export async function recordMinedTransaction(params: {
  db: Queryable;
  request: JsonRpcRequestFunction;
  chainId: number;
  rawTx: string;
  txHash: string;
}): Promise<void> {
  const receipt = await call<{ blockNumber: string } | null>(params.request, 'eth_getTransactionReceipt', [params.txHash]);
  if (!receipt) return; // not mined (e.g. rejected): nothing to replay
  const block = await call<RpcBlock>(params.request, 'eth_getBlockByNumber', [receipt.blockNumber, false]);
  await appendJournalEntry(params.db, {
    chainId: params.chainId,
    txHash: params.txHash,
    rawTx: params.rawTx,
    blockNumber: Number(block.number),
    blockHash: block.hash,
    blockTimestamp: Number(block.timestamp),
  });
}

export interface ReplayReport {
  transactions: number;
  seconds: number;
  /** Hash of the last replayed block (equal to the recorded one). */
  headBlockHash: string | null;
}

/**
 * Replays the journal onto a fresh embedded chain.
 *
 * @throws ChainError `journal_replay_mismatch` when a replayed transaction or the final
 *   block gets another hash than recorded (a changed genesis, or a tampered journal).
 */
export async function replayJournal(params: { db: Database; request: JsonRpcRequestFunction; chainId: number }): Promise<ReplayReport> {
  const started = performance.now();
  const entries = await listJournal(params.db, params.chainId);
  for (const entry of entries) {
    await call(params.request, 'evm_setNextBlockTimestamp', [`0x${entry.blockTimestamp.toString(16)}`]);
    const hash = await call<string>(params.request, 'eth_sendRawTransaction', [entry.rawTx]);
    if (hash !== entry.txHash) {
      throw new ChainError('journal_replay_mismatch', `Journal entry ${entry.seq} replayed to ${hash}, recorded ${entry.txHash}`, {
        seq: entry.seq,
      });
    }
  }
  let headBlockHash: string | null = null;
  const last = entries.at(-1);
  if (last) {
    // Block hashes chain every earlier block: checking the last one checks them all.
    const block = await call<RpcBlock>(params.request, 'eth_getBlockByNumber', [`0x${last.blockNumber.toString(16)}`, false]);
    if (block?.hash !== last.blockHash) {
      throw new ChainError(
        'journal_replay_mismatch',
        `Replayed block ${last.blockNumber} has hash ${block?.hash}, recorded ${last.blockHash}`,
        { blockNumber: last.blockNumber },
      );
    }
    headBlockHash = block.hash;
  }
  return { transactions: entries.length, seconds: (performance.now() - started) / 1000, headBlockHash };
}
