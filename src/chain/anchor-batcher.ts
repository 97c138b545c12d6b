/**
 * Anchors every credential Sello issues: credentials with no anchor yet are grouped by
 * size (`ANCHOR_BATCH_SIZE`) or age (`ANCHOR_BATCH_MAX_WAIT_S`), whichever comes first;
 * each batch is one `anchorBatch` transaction, followed by `mintBatch` transaction(s)
 * for the recipients who linked a wallet, chunked under the transaction gas cap.
 *
 * Everything is derived from the database, so the batcher is safe to run in several
 * processes and to stop at any point: a batch is `pending` until a transaction carrying
 * it is confirmed, and a reverted or dropped transaction just returns it to `pending`.
 */
import type { Logger } from '../logger.ts';
import type { Database } from '../storage/database.ts';
import {
  createAnchorBatch,
  linkBatchTransaction,
  listBatchLeaves,
  listOpenBatches,
  lockAnchorBatching,
  markBatchAnchored,
  markBatchPending,
  markBatchSent,
  recordBatchError,
  unbatchedCredentialStats,
} from '../storage/anchor-batch-repository.ts';
import {
  enqueueMints,
  listPendingMints,
  listSentMints,
  markMintsMinted,
  markMintsPending,
  markMintsSent,
  recordMintError,
} from '../storage/soulbound-mint-repository.ts';
import { getTransaction } from '../storage/chain-transaction-repository.ts';
import { listStatusChangesToMirror, markRevocationsMirrored, requeueFailedRevocationMirrors } from '../storage/chain-repository.ts';
import { ChainError } from './chain-error.ts';
import type { ChainService } from './open-chain.ts';
import { registryInterface, registryInterfaceIds } from './registry-contract.ts';
import { revocationReasonCode } from './revoke-on-chain.ts';
import { describeRpcError } from './rpc-errors.ts';

/**
 * Tokens per `mintBatch`: ~50,000 gas each, so 200 use ~10 M gas, well under the
 * 16,777,216 transaction cap with room for estimate headroom.
 */
export const MINT_CHUNK_SIZE = 200;

export interface AnchorCycleReport {
  batchesFormed: number;
  batchesSent: number;
  batchesAnchored: number;
  tokensSent: number;
  tokensMinted: number;
  /** Revocations (and reinstatements) sent to the chain. */
  revocationsSent: number;
  /** Suspensions and lifted suspensions sent to the chain. */
  suspensionsSent: number;
  /** The error that stopped this cycle (work stays queued), or null. */
  error: ChainError | null;
}

export interface AnchorBatcher {
  /**
   * One pass: settle sent transactions, form due batches, send them, mint tokens.
   * `flush` forms a batch from waiting credentials whatever their age.
   */
  runOnce(options?: { flush?: boolean }): Promise<AnchorCycleReport>;
  /** Runs passes in the background, backing off exponentially while the chain fails. */
  start(): void;
  stop(): Promise<void>;
}

export interface CreateAnchorBatcherParameters {
  db: Database;
  chain: ChainService;
  batchSize: number;
  maxWaitS: number;
  log: Logger;
  now?: () => Date;
  /** Background poll interval (default: a quarter of maxWait, between 0.2 s and 5 s). */
  pollMs?: number;
  /** Longest back-off between failing passes. */
  maxBackoffMs?: number;
  /**
   * Registers issuer keys on-chain before a batch is sent, so a credential's signing
   * key is on-chain no later than the credential's anchor (see `registerIssuerKeys`).
   */
  syncIssuerKeys?: () => Promise<void>;
}

/** Creates the batcher; call `start()` for the background loop or `runOnce()` directly. */
export function createAnchorBatcher(params: CreateAnchorBatcherParameters): AnchorBatcher {
  const { db, chain, log } = params;
  const now = params.now ?? (() => new Date());
  const pollMs = params.pollMs ?? Math.min(5000, Math.max(200, (params.maxWaitS * 1000) / 4));
  const maxBackoffMs = params.maxBackoffMs ?? 60_000;

  async function settle(report: AnchorCycleReport): Promise<void> {
    for (const batch of await listOpenBatches(db, chain.chainId)) {
      if (batch.txId === null) continue;
      const tx = await getTransaction(db, batch.txId);
      if (!tx) continue;
      if (tx.status === 'sent' || tx.status === 'mined') {
        await markBatchSent(db, { batchId: batch.id });
      } else if (tx.status === 'confirmed') {
        await markBatchAnchored(db, { batchId: batch.id, txHash: tx.txHash, blockNumber: tx.blockNumber!, blockHash: tx.blockHash! });
        report.batchesAnchored += 1;
      } else if (tx.status === 'reverted' || tx.status === 'dropped') {
        await markBatchPending(db, { batchId: batch.id, error: `transaction ${tx.txHash} ${tx.status}: ${tx.lastError ?? ''}` });
      }
    }
    for (const group of await listSentMints(db)) {
      const tx = await getTransaction(db, group.txId);
      if (!tx) continue;
      if (tx.status === 'confirmed') {
        await markMintsMinted(db, { txId: tx.id, blockNumber: tx.blockNumber! });
        report.tokensMinted += group.hashes.length;
      } else if (tx.status === 'reverted' || tx.status === 'dropped') {
        await markMintsPending(db, { txId: tx.id, error: `transaction ${tx.txHash} ${tx.status}: ${tx.lastError ?? ''}` });
      }
    }
  }

  async function formBatches(flush: boolean): Promise<number> {
    return db.transaction(async (tx) => {
      await lockAnchorBatching(tx);
      let formed = 0;
      for (;;) {
        const { count, oldest } = await unbatchedCredentialStats(tx);
        if (count === 0) break;
        const due = oldest !== null && now().getTime() - oldest.getTime() >= params.maxWaitS * 1000;
        if (count < params.batchSize && !flush && !due) break;
        const batch = await createAnchorBatch(tx, {
          chainId: chain.chainId,
          contractAddress: chain.contractAddress,
          size: params.batchSize,
        });
        if (!batch) break;
        formed += 1;
      }
      return formed;
    });
  }

  async function sendPendingBatches(report: AnchorCycleReport): Promise<void> {
    // A pending batch already linked to a stored transaction waits for that one (resent
    // by reconcile): sending another would anchor it twice.
    const pending = (await listOpenBatches(db, chain.chainId)).filter((batch) => batch.status === 'pending' && batch.txId === null);
    if (pending.length > 0 && params.syncIssuerKeys) await params.syncIssuerKeys();
    for (const batch of pending) {
      const leaves = await listBatchLeaves(db, batch.id);
      try {
        const tx = await chain.sender.submit({
          purpose: 'anchor',
          to: chain.contractAddress,
          data: registryInterface.encodeFunctionData('anchorBatch', [leaves]),
          onStored: async (q, stored) => {
            if (!(await linkBatchTransaction(q, { batchId: batch.id, txId: stored.id, txHash: stored.txHash }))) {
              throw new ClaimedElsewhere();
            }
          },
        });
        // Stored and linked: reconcile resends it; report why it did not go out now.
        if (tx.broadcastError) throw tx.broadcastError;
        await markBatchSent(db, { batchId: batch.id });
        report.batchesSent += 1;
      } catch (error) {
        // Another process sent this batch first; its transaction (and nonce) was rolled back here.
        if (error instanceof ClaimedElsewhere) continue;
        const chainError = asChainError(error);
        await recordBatchError(db, { batchId: batch.id, error: `${chainError.code}: ${chainError.message}` });
        // Later batches wait too: anchoring stays in order and the cause is the same.
        throw chainError;
      }
    }
  }

  async function sendPendingMints(report: AnchorCycleReport): Promise<void> {
    await enqueueMints(db);
    for (;;) {
      const mints = await listPendingMints(db, MINT_CHUNK_SIZE);
      if (mints.length === 0) return;
      const hashes = mints.map((mint) => mint.credentialHash);
      try {
        const tx = await chain.sender.submit({
          purpose: 'mint',
          to: chain.contractAddress,
          data: registryInterface.encodeFunctionData('mintBatch', [mints.map((mint) => mint.walletAddress), hashes]),
          onStored: async (q, stored) => {
            if (!(await markMintsSent(q, { hashes, txId: stored.id, txHash: stored.txHash }))) throw new ClaimedElsewhere();
          },
        });
        report.tokensSent += hashes.length;
        if (tx.broadcastError) throw tx.broadcastError;
      } catch (error) {
        if (error instanceof ClaimedElsewhere) continue;
        const chainError = asChainError(error);
        await recordMintError(db, { hashes, error: `${chainError.code}: ${chainError.message}` });
        throw chainError;
      }
    }
  }

  // Registries deployed before suspensions were mirrored have no suspendCredential.
  let suspensionSupported: Promise<boolean> | null = null;
  const registryKeepsSuspensions = () => {
    suspensionSupported ??= (chain.registry.getFunction('supportsInterface')(registryInterfaceIds.credentialSuspension) as Promise<boolean>).catch(
      (error: unknown) => {
        suspensionSupported = null;
        throw describeRpcError(error);
      },
    );
    return suspensionSupported;
  };

  /** What the registry holds now for one purpose of one credential. */
  async function onChainValue(credentialHash: string, purpose: 'revocation' | 'suspension'): Promise<boolean> {
    try {
      const [value] = (await chain.registry.getFunction(purpose === 'revocation' ? 'revocationOf' : 'suspensionOf')(credentialHash)) as [boolean];
      return value;
    } catch (error) {
      throw describeRpcError(error);
    }
  }

  const STATUS_CALLS = {
    revocation: { on: 'revokeCredential', off: 'unrevokeCredential', sent: 'revocationsSent' },
    suspension: { on: 'suspendCredential', off: 'unsuspendCredential', sent: 'suspensionsSent' },
  } as const;

  /**
   * Mirrors status changes recorded by the credentials capability (revocation,
   * suspension and its lifting) onto the chain, for anchored credentials (others wait for
   * their anchor), so a verifier reads a credential's status from the chain once the
   * status lists are gone. One transaction per change; none when the chain already has
   * the wanted state.
   */
  async function mirrorRevocations(report: AnchorCycleReport): Promise<void> {
    await requeueFailedRevocationMirrors(db);
    for (;;) {
      const pending = await listStatusChangesToMirror(db, 50);
      if (pending.length === 0) return;
      for (const item of pending) {
        if (item.purpose === 'suspension' && !(await registryKeepsSuspensions())) {
          await markRevocationsMirrored(db, { eventIds: item.eventIds, txHash: 'unsupported' });
          continue;
        }
        if ((await onChainValue(item.credentialHash, item.purpose)) === item.value) {
          await markRevocationsMirrored(db, { eventIds: item.eventIds, txHash: 'unchanged' });
          continue;
        }
        const calls = STATUS_CALLS[item.purpose];
        try {
          const tx = await chain.sender.submit({
            purpose: item.purpose === 'revocation' ? (item.value ? 'revoke' : 'unrevoke') : item.value ? 'suspend' : 'unsuspend',
            to: chain.contractAddress,
            data: !item.value
              ? registryInterface.encodeFunctionData(calls.off, [item.credentialHash])
              : item.purpose === 'revocation'
                ? registryInterface.encodeFunctionData(calls.on, [item.credentialHash, revocationReasonCode(item.reason)])
                : registryInterface.encodeFunctionData(calls.on, [item.credentialHash]),
            onStored: async (q, stored) => {
              if (!(await markRevocationsMirrored(q, { eventIds: item.eventIds, txHash: stored.txHash }))) throw new ClaimedElsewhere();
            },
          });
          report[calls.sent] += 1;
          if (tx.broadcastError) throw tx.broadcastError;
        } catch (error) {
          if (error instanceof ClaimedElsewhere) continue;
          throw asChainError(error);
        }
      }
      await chain.sender.reconcile();
    }
  }

  async function runOnce(options: { flush?: boolean } = {}): Promise<AnchorCycleReport> {
    const report: AnchorCycleReport = {
      batchesFormed: 0,
      batchesSent: 0,
      batchesAnchored: 0,
      tokensSent: 0,
      tokensMinted: 0,
      revocationsSent: 0,
      suspensionsSent: 0,
      error: null,
    };
    try {
      await chain.sender.reconcile();
      await settle(report);
      report.batchesFormed = await formBatches(options.flush ?? false);
      await sendPendingBatches(report);
      await chain.sender.reconcile();
      await settle(report);
      await sendPendingMints(report);
      await chain.sender.reconcile();
      await settle(report);
      await mirrorRevocations(report);
      chain.reportError(null);
    } catch (error) {
      report.error = asChainError(error);
      chain.reportError(`${report.error.code}: ${report.error.message}`);
    }
    return report;
  }

  let timer: NodeJS.Timeout | null = null;
  let running: Promise<unknown> | null = null;
  let stopped = true;
  let failures = 0;

  function schedule(delay: number): void {
    if (stopped) return;
    timer = setTimeout(() => {
      running = runOnce().then((report) => {
        if (report.error) {
          failures += 1;
          const backoff = Math.min(maxBackoffMs, pollMs * 2 ** failures);
          log.warn({ code: report.error.code, err: report.error, retryInMs: backoff }, 'anchoring pass failed; retrying');
          schedule(backoff);
        } else {
          failures = 0;
          if (report.batchesAnchored || report.tokensMinted) {
            log.info({ batches: report.batchesAnchored, tokens: report.tokensMinted }, 'credentials anchored on chain');
          }
          schedule(pollMs);
        }
      });
    }, delay);
    timer.unref?.();
  }

  return {
    runOnce,
    start() {
      if (!stopped) return;
      stopped = false;
      schedule(0);
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}

/** Thrown inside the storing transaction to undo it: the work was already taken by another process. */
class ClaimedElsewhere extends Error {}

function asChainError(error: unknown): ChainError {
  if (error instanceof ChainError) return error;
  // Not a chain failure (a database error, a bug): still reported, never fatal to the loop.
  return new ChainError('chain_rpc_error', (error as Error)?.message ?? String(error), undefined, { cause: error });
}
