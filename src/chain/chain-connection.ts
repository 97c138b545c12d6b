/**
 * The chain as a running Sello holds it: connected, or not yet. An external RPC endpoint
 * that is down when Sello starts must not keep LTI, the pages and verification from
 * being served: start-up goes on without it, a background loop keeps trying (with
 * backoff), and whatever needs the chain (anchoring, key registration, signing when the
 * registry is not known yet) begins once it answers. `GET /health` says
 * `chain_unreachable` meanwhile.
 *
 * Only reachability waits: a wrong chain (`chain_id_mismatch`), a contract that is not a
 * Sello registry, or a broken embedded journal still stop start-up, as they need the
 * operator.
 */
import { Wallet } from 'ethers';
import { createWakeableSleep } from '../wakeable-sleep.ts';
import type { Config } from '../config.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { ChainReference } from '../credentials/chain-reference.ts';
import type { Database } from '../storage/database.ts';
import { chainQueueStats } from '../storage/chain-repository.ts';
import { getDeployment } from '../storage/chain-journal-repository.ts';
import { openChain, readSignerKey, type ChainHealthReport, type ChainService, type OpenChainParameters } from './open-chain.ts';

export interface ChainConnection {
  readonly kind: 'embedded' | 'rpc';
  /** The open chain, or null while its RPC endpoint has not answered yet. */
  current(): ChainService | null;
  /** Resolves with the chain once it is open (at once when it opened at start). */
  readonly ready: Promise<ChainService>;
  /**
   * The chain and registry credentials name: the open chain's, or before it answers the
   * registry recorded for the configured `CHAIN_ID` (so signing need not wait); null when
   * neither is known (a first start with the RPC down, or no `CHAIN_ID`).
   */
  reference(): ChainReference | null;
  /** The open chain's report, or `ok: false` with `chain_unreachable` and the queue sizes. */
  health(): Promise<ChainHealthReport>;
  close(): Promise<void>;
}

export interface ConnectChainParameters {
  config: Readonly<Config>;
  db: Database;
  log: Logger;
  /** Opens the chain (tests may wrap it). */
  open?: (params: OpenChainParameters) => Promise<ChainService>;
  /** First wait before trying again; doubles up to `maxRetryMs`. */
  firstRetryMs?: number;
  maxRetryMs?: number;
}

/** Errors worth waiting out: the endpoint is down, slow or failing, not misconfigured. */
function isUnreachable(error: unknown): boolean {
  if (error instanceof AppError) return error.code === 'chain_unreachable';
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'NETWORK_ERROR' || code === 'SERVER_ERROR' || code === 'TIMEOUT' || code === 'ECONNREFUSED' || code === 'ECONNRESET';
}

/**
 * Opens the chain, or starts without it when its RPC endpoint cannot be reached.
 *
 * @throws ChainError `chain_id_mismatch`, `contract_not_sello`, `journal_replay_mismatch`,
 *   and any failure of the embedded chain: start-up stops on them as before.
 */
export async function connectChain({ config, db, log, open = openChain, firstRetryMs = 1_000, maxRetryMs = 30_000 }: ConnectChainParameters): Promise<ChainConnection> {
  const settings = config.chain;
  let chain: ChainService | null = null;
  let resolveReady!: (chain: ChainService) => void;
  const ready = new Promise<ChainService>((resolve) => (resolveReady = resolve));
  const connected = (opened: ChainService) => {
    chain = opened;
    resolveReady(opened);
  };

  try {
    connected(await open({ config, db, log }));
  } catch (error) {
    if (settings.kind === 'embedded' || !isUnreachable(error)) throw error;
    log.warn({ err: error }, 'the chain RPC is unreachable: Sello serves without it, and anchors once it answers');
    return startWithoutChain(error);
  }
  return {
    kind: settings.kind,
    current: () => chain,
    ready,
    reference: () => ({ chainId: chain!.chainId, contract: chain!.contractAddress }),
    health: async () => ({ ...(await chain!.health()), connected: true }),
    close: () => chain!.close(),
  };

  async function startWithoutChain(first: unknown): Promise<ChainConnection> {
    const rpcSettings = settings as Extract<Config['chain'], { kind: 'rpc' }>;
    // Known without the endpoint only when CHAIN_ID pins the chain: a recorded registry of
    // whatever chain this URL served last time could be the wrong one now.
    const recorded = rpcSettings.chainId !== null ? (rpcSettings.contractAddress ?? (await getDeployment(db, rpcSettings.chainId))?.contractAddress ?? null) : null;
    const provisional: ChainReference | null = recorded ? { chainId: rpcSettings.chainId!, contract: recorded } : null;
    const signer = new Wallet(readSignerKey(rpcSettings)).address;
    // As /health shows it: `<code>: <message>`, chain_unreachable unless the chain answered wrongly.
    const described = (error: unknown) => `${error instanceof AppError ? error.code : 'chain_unreachable'}: ${(error as Error).message}`;
    let lastError = described(first);
    let nextAttemptAt = Date.now() + firstRetryMs;
    let closed = false;
    const { sleep, wake } = createWakeableSleep();

    const retrying = (async () => {
      for (let delay = firstRetryMs; !closed; delay = Math.min(delay * 2, maxRetryMs)) {
        nextAttemptAt = Date.now() + delay;
        await sleep(delay);
        if (closed) return;
        try {
          const opened = await open({ config, db, log });
          if (closed) {
            await opened.close();
            return;
          }
          if (provisional && (opened.chainId !== provisional.chainId || opened.contractAddress.toLowerCase() !== provisional.contract.toLowerCase())) {
            // Cannot happen while CHAIN_ID and the recorded registry hold; said loudly if it does.
            log.error({ provisional, chainId: opened.chainId, contract: opened.contractAddress }, 'the chain answered with another registry than the one credentials were signed for');
          }
          log.info({ chainId: opened.chainId, contract: opened.contractAddress }, 'the chain RPC answers again: anchoring resumes');
          connected(opened);
          return;
        } catch (error) {
          lastError = described(error);
          // A wrong chain or contract needs the operator, but they may fix the node rather
          // than Sello: keep trying, slowly, and say it at error level.
          const level = isUnreachable(error) ? 'warn' : 'error';
          log[level]({ err: error, retryInMs: Math.min(delay * 2, maxRetryMs) }, 'the chain is still not usable');
        }
      }
    })();

    return {
      kind: 'rpc',
      current: () => chain,
      ready,
      reference: () => (chain ? { chainId: chain.chainId, contract: chain.contractAddress } : provisional),
      async health() {
        if (chain) return { ...(await chain.health()), connected: true };
        return {
          kind: 'rpc',
          chainId: provisional?.chainId ?? rpcSettings.chainId,
          contract: provisional?.contract ?? null,
          ok: false,
          error: lastError,
          connected: false,
          nextAttemptInMs: Math.max(0, nextAttemptAt - Date.now()),
          signer,
          blockNumber: null,
          balanceEth: null,
          lowBalance: false,
          warnings: [],
          queue: await chainQueueStats(db).catch(() => null),
        };
      },
      async close() {
        closed = true;
        wake();
        await retrying;
        await chain?.close();
      },
    };
  }
}
