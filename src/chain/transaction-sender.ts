/**
 * One ordered send queue per signer key, held through the database.
 *
 * A transaction is built (gas estimated, fees capped), then, under an advisory lock on
 * the signer, given the next nonce, signed and stored BEFORE it is broadcast. From then
 * on it is never lost: while the RPC is down the stored bytes are simply resent; a
 * transaction re-orged out is resent with the same bytes (same nonce, so it can never be
 * mined twice); one whose nonce was taken by another transaction is marked `dropped`,
 * and its work goes back to the queue.
 */
import { Transaction, formatEther, parseUnits, type Provider, type Wallet } from 'ethers';
import type { Database, Queryable } from '../storage/database.ts';
import {
  getTransaction,
  insertTransaction,
  listOpenTransactions,
  lockSignerQueue,
  nextQueuedNonce,
  updateTransaction,
  type ChainTransaction,
} from '../storage/chain-transaction-repository.ts';
import { ChainError } from './chain-error.ts';
import { describeRpcError } from './rpc-errors.ts';
import { TRANSACTION_GAS_CAP } from './registry-contract.ts';

/** A stored transaction and, when its first broadcast failed, why (it is resent by `reconcile`). */
export type SubmittedTransaction = ChainTransaction & { broadcastError: ChainError | null };

export interface SubmitParameters {
  purpose: string;
  to: string | null;
  data: string;
  /** Wei sent along (funding the deployment proxy's keyless account); default none. */
  value?: bigint;
  /**
   * Runs in the database transaction that stores the signed transaction: link the work
   * to it here, so that no crash can leave a stored transaction whose work looks unsent
   * (which would send the work twice).
   */
  onStored?: (db: Queryable, tx: ChainTransaction) => Promise<void>;
}

export interface TransactionSender {
  readonly chainId: number;
  readonly signer: string;
  /**
   * Estimates, signs, stores and broadcasts a transaction. Once stored it is never
   * lost: a failed broadcast is reported in `broadcastError` and retried by `reconcile`.
   *
   * @throws ChainError `insufficient_funds`, `out_of_gas`, `gas_price_too_high`,
   *   `transaction_would_revert`, `chain_unreachable` (nothing stored in every case).
   */
  submit(params: SubmitParameters): Promise<SubmittedTransaction>;
  /**
   * Brings every open transaction forward: resends unmined ones, records receipts,
   * confirms after `confirmations` blocks, detects re-orgs and dropped nonces.
   *
   * @throws ChainError `chain_unreachable`.
   */
  reconcile(): Promise<void>;
  /**
   * Broadcasts a transaction signed by someone else (the deployment proxy's keyless,
   * pre-signed transaction) in this queue's order, so the embedded chain's journal
   * records and replays it like Sello's own. Resolves once the node accepted it.
   *
   * @throws ChainError from the node (`chain_unreachable`, …).
   */
  broadcastForeign(rawTx: string): Promise<{ txHash: string }>;
  /** Reconciles until the transaction is final (confirmed, reverted or dropped). */
  waitForFinal(txId: number, options?: { timeoutMs?: number; pollMs?: number }): Promise<ChainTransaction>;
}

export interface CreateTransactionSenderParameters {
  db: Database;
  provider: Provider;
  wallet: Wallet;
  chainId: number;
  /** Blocks on top of the mined one before a transaction counts (0: mined is enough). */
  confirmations: number;
  maxGasPriceGwei: number;
  /** Called right after a transaction was accepted, still inside the send lock (embedded journal). */
  afterBroadcast?: (tx: { rawTx: string; txHash: string }) => Promise<void>;
  sleep?: (ms: number) => Promise<void>;
}

const PRIORITY_FEE = parseUnits('1', 'gwei');

/** Creates the send queue for one signer on one chain. */
export function createTransactionSender(params: CreateTransactionSenderParameters): TransactionSender {
  const { db, provider, wallet, chainId } = params;
  const signer = wallet.address;
  const ceiling = parseUnits(String(params.maxGasPriceGwei), 'gwei');
  const sleep = params.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  // In-process ordering on top of the database lock: sends leave in nonce order, and the
  // embedded chain's journal records them in the order it mined them.
  let tail: Promise<unknown> = Promise.resolve();
  const serially = <T>(work: () => Promise<T>): Promise<T> => {
    const run = tail.then(work, work);
    tail = run.catch(() => {});
    return run;
  };

  async function fees(): Promise<{ maxFeePerGas: bigint; maxPriorityFeePerGas: bigint } | { gasPrice: bigint }> {
    const block = await provider.getBlock('latest');
    const baseFee = block?.baseFeePerGas;
    if (baseFee == null) {
      const gasPrice = (await provider.getFeeData()).gasPrice ?? 0n;
      if (gasPrice > ceiling) throw gasTooHigh(gasPrice);
      return { gasPrice };
    }
    if (baseFee + PRIORITY_FEE > ceiling) throw gasTooHigh(baseFee + PRIORITY_FEE);
    const wanted = baseFee * 2n + PRIORITY_FEE;
    return { maxFeePerGas: wanted < ceiling ? wanted : ceiling, maxPriorityFeePerGas: PRIORITY_FEE };
  }

  function gasTooHigh(price: bigint): ChainError {
    return new ChainError(
      'gas_price_too_high',
      `The network's gas price (${formatGwei(price)} gwei) is above CHAIN_MAX_GAS_PRICE_GWEI (${params.maxGasPriceGwei})`,
      { gasPriceGwei: formatGwei(price), maxGasPriceGwei: params.maxGasPriceGwei },
    );
  }

  /** Sends the stored bytes; never throws for RPC failures, which it records and returns. */
  async function broadcast(tx: ChainTransaction): Promise<SubmittedTransaction> {
    try {
      await provider.broadcastTransaction(tx.rawTx);
    } catch (error) {
      const described = describeRpcError(error, { txHash: tx.txHash, purpose: tx.purpose });
      // The node already has it (a resend after a lost answer): that is success.
      if (!/already known|already imported|known transaction|nonce too low/i.test(described.message)) {
        await updateTransaction(db, tx.id, { status: tx.status, lastError: `${described.code}: ${described.message}`, attempted: true });
        return { ...tx, lastError: described.message, attempts: tx.attempts + 1, broadcastError: described };
      }
    }
    await updateTransaction(db, tx.id, { status: 'sent', lastError: null, attempted: true });
    if (params.afterBroadcast) await params.afterBroadcast({ rawTx: tx.rawTx, txHash: tx.txHash });
    return { ...tx, status: 'sent', lastError: null, attempts: tx.attempts + 1, broadcastError: null };
  }

  async function submit(request: SubmitParameters): Promise<SubmittedTransaction> {
    return serially(async () => {
      let gasLimit: bigint;
      let feeFields: Awaited<ReturnType<typeof fees>>;
      let balance: bigint;
      try {
        const estimate = await provider.estimateGas({ from: signer, to: request.to, data: request.data, value: request.value ?? 0n });
        const block = await provider.getBlock('latest');
        // The smaller of the transaction cap (EIP-7825) and what one block may hold.
        const cap = block && block.gasLimit < TRANSACTION_GAS_CAP ? block.gasLimit : TRANSACTION_GAS_CAP;
        if (estimate > cap) throw outOfGas(estimate, cap);
        // 20% headroom: state can change between the estimate and the block.
        gasLimit = (estimate * 12n) / 10n;
        if (gasLimit > cap) gasLimit = cap;
        feeFields = await fees();
        balance = await provider.getBalance(signer);
      } catch (error) {
        if (error instanceof ChainError) throw error;
        throw describeRpcError(error, { purpose: request.purpose });
      }
      const price = 'gasPrice' in feeFields ? feeFields.gasPrice : feeFields.maxFeePerGas;
      const needed = gasLimit * price + (request.value ?? 0n);
      if (balance < needed) {
        throw new ChainError(
          'insufficient_funds',
          `The signer ${signer} has ${formatEther(balance)} ETH; this ${request.purpose} transaction may cost up to ${formatEther(needed)} ETH`,
          { signer, balanceEth: formatEther(balance), neededEth: formatEther(needed), purpose: request.purpose },
        );
      }
      const stored = await db.transaction(async (tx) => {
        await lockSignerQueue(tx, { chainId, signer });
        const fromDb = await nextQueuedNonce(tx, { chainId, signer });
        const fromChain = await provider.getTransactionCount(signer, 'pending');
        // The chain is ahead when someone else used the key; the database is ahead while
        // our own transactions wait to be mined.
        const nonce = Math.max(fromDb, fromChain);
        const rawTx = await wallet.signTransaction({
          type: 'gasPrice' in feeFields ? 0 : 2,
          chainId,
          nonce,
          to: request.to,
          data: request.data,
          value: request.value ?? 0n,
          gasLimit,
          ...feeFields,
        });
        const inserted = await insertTransaction(tx, {
          chainId,
          signer,
          nonce,
          purpose: request.purpose,
          rawTx,
          txHash: Transaction.from(rawTx).hash!,
        });
        if (request.onStored) await request.onStored(tx, inserted);
        return inserted;
      });
      return broadcast(stored);
    });
  }

  function outOfGas(estimate: bigint, cap: bigint): ChainError {
    return new ChainError(
      'out_of_gas',
      `The transaction needs ${estimate} gas, above the ${cap} one transaction may use on this chain`,
      { gas: estimate.toString(), cap: cap.toString() },
    );
  }

  async function reconcileOne(tx: ChainTransaction, head: number): Promise<void> {
    let receipt;
    try {
      receipt = await provider.getTransactionReceipt(tx.txHash);
    } catch (error) {
      throw describeRpcError(error);
    }
    if (receipt) {
      if (receipt.status === 0) {
        await updateTransaction(db, tx.id, {
          status: 'reverted',
          blockNumber: receipt.blockNumber,
          blockHash: receipt.blockHash,
          gasUsed: Number(receipt.gasUsed),
          lastError: `reverted in block ${receipt.blockNumber} (gas used ${receipt.gasUsed} of ${Transaction.from(tx.rawTx).gasLimit})`,
        });
        return;
      }
      const depth = head - receipt.blockNumber + 1;
      let status: 'mined' | 'confirmed' = depth >= Math.max(1, params.confirmations) ? 'confirmed' : 'mined';
      if (status === 'confirmed' && params.confirmations > 0) {
        // The receipt may come from a block that is no longer canonical.
        const canonical = await provider.getBlock(receipt.blockNumber);
        if (canonical?.hash !== receipt.blockHash) status = 'mined';
      }
      await updateTransaction(db, tx.id, {
        status,
        blockNumber: receipt.blockNumber,
        blockHash: receipt.blockHash,
        gasUsed: Number(receipt.gasUsed),
      });
      return;
    }
    const minedNonce = await provider.getTransactionCount(signer, 'latest').catch((error: unknown) => {
      throw describeRpcError(error);
    });
    if (minedNonce > tx.nonce) {
      // Another transaction used this nonce: ours can never be mined, so its work is redone.
      await updateTransaction(db, tx.id, {
        status: 'dropped',
        blockNumber: null,
        lastError: `nonce ${tx.nonce} was used by another transaction`,
      });
      return;
    }
    // Re-orged out (was mined) or never accepted (RPC down, node restarted): same bytes again.
    const resent = await broadcast({ ...tx, status: tx.status === 'mined' ? 'sent' : tx.status });
    // Later nonces cannot be mined before this one: stop here and say why.
    if (resent.broadcastError) throw resent.broadcastError;
  }

  async function reconcile(): Promise<void> {
    await serially(async () => {
      const open = await listOpenTransactions(db, { chainId, signer });
      if (open.length === 0) return;
      let head: number;
      try {
        head = await provider.getBlockNumber();
      } catch (error) {
        throw describeRpcError(error);
      }
      for (const tx of open) await reconcileOne(tx, head);
    });
  }

  async function waitForFinal(txId: number, options: { timeoutMs?: number; pollMs?: number } = {}): Promise<ChainTransaction> {
    const deadline = Date.now() + (options.timeoutMs ?? 10 * 60_000);
    for (;;) {
      await reconcile();
      const tx = await getTransaction(db, txId);
      if (!tx) throw new TypeError(`no chain transaction ${txId}`);
      if (tx.status === 'confirmed' || tx.status === 'reverted' || tx.status === 'dropped') return tx;
      if (Date.now() > deadline) {
        throw new ChainError('chain_unreachable', `Transaction ${tx.txHash} is still ${tx.status} after waiting`, {
          txHash: tx.txHash,
          status: tx.status,
        });
      }
      await sleep(options.pollMs ?? 1000);
    }
  }

  function broadcastForeign(rawTx: string): Promise<{ txHash: string }> {
    return serially(async () => {
      const txHash = Transaction.from(rawTx).hash!;
      try {
        await provider.broadcastTransaction(rawTx);
      } catch (error) {
        const described = describeRpcError(error, { txHash, purpose: 'foreign' });
        if (!/already known|already imported|known transaction/i.test(described.message)) throw described;
      }
      if (params.afterBroadcast) await params.afterBroadcast({ rawTx, txHash });
      return { txHash };
    });
  }

  return { chainId, signer, submit, reconcile, waitForFinal, broadcastForeign };
}

function formatGwei(wei: bigint): string {
  return (Number(wei) / 1e9).toFixed(2);
}
