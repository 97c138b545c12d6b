/**
 * Opens the chain Sello writes to: the embedded EDR chain (default) or any EVM JSON-RPC
 * endpoint (`CHAIN_RPC_URL`). Replays the embedded journal, checks the endpoint's chain
 * id, and deploys the registry at first start (its address is kept in the database).
 */
import fs from 'node:fs';
import {
  Contract,
  FetchRequest,
  JsonRpcProvider,
  Network,
  Wallet,
  formatEther,
  getCreateAddress,
  id,
  parseEther,
  type Provider,
} from 'ethers';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { Database } from '../storage/database.ts';
import { chainQueueStats } from '../storage/chain-repository.ts';
import { getDeployment, saveDeployment } from '../storage/chain-journal-repository.ts';
import { ChainError } from './chain-error.ts';
import { recordMinedTransaction, replayJournal, type ReplayReport } from './chain-journal.ts';
import { EMBEDDED_SIGNER_KEY, startEmbeddedChain, type EmbeddedChain } from './embedded-chain.ts';
import { isSelloRegistry } from './is-sello-registry.ts';
import { registryArtifact, registryInterface } from './registry-contract.ts';
import type { JsonRpcRequestFunction } from './request-provider.ts';
import { createTransactionSender, type TransactionSender } from './transaction-sender.ts';

/** The chain's state for `GET /health` (structurally the web layer's `ChainHealth`). */
export interface ChainHealthReport {
  kind: 'embedded' | 'rpc';
  chainId: number | null;
  contract: string | null;
  ok: boolean;
  error?: string;
  signer: string;
  blockNumber: number | null;
  balanceEth: string | null;
  lowBalance: boolean;
  warnings: string[];
  queue: { unbatched: number; openBatches: number; pendingMints: number } | null;
  [extra: string]: unknown;
}

export interface ChainService {
  readonly kind: 'embedded' | 'rpc';
  readonly chainId: number;
  readonly contractAddress: string;
  readonly signer: string;
  /** Read access to the chain (ethers). */
  readonly provider: Provider;
  /** The registry, read-only (writes go through `sender`). */
  readonly registry: Contract;
  readonly sender: TransactionSender;
  /** Raw JSON-RPC for `POST /chain/rpc` (the route applies its allow-list). */
  readonly rpc: JsonRpcRequestFunction;
  /** The embedded chain itself (null with an RPC endpoint): tests and benchmarks use its `evm_*` methods. */
  readonly embedded: EmbeddedChain | null;
  /** What the start-up replay did (null with an RPC endpoint). */
  readonly replay: ReplayReport | null;
  /** `CAIP-10` style reference a credential carries: `eip155:<chainId>:<contract>`. */
  readonly chainReference: string;
  health(): Promise<ChainHealthReport>;
  /** Records the last anchoring error for /health (the batcher calls it). */
  reportError(message: string | null): void;
  close(): Promise<void>;
}

export interface OpenChainParameters {
  config: Readonly<Config>;
  db: Database;
  log: Logger;
  /** Embedded chain only: extra funded accounts (tests). */
  fundedAccounts?: string[];
  /** RPC mode: milliseconds before a request counts as timed out. */
  rpcTimeoutMs?: number;
}

/**
 * Opens the chain and makes sure Sello's registry exists on it.
 *
 * @throws ChainError `chain_unreachable` (naming the URL), `chain_id_mismatch`,
 *   `contract_not_sello`, `journal_replay_mismatch`, `insufficient_funds`.
 */
export async function openChain(params: OpenChainParameters): Promise<ChainService> {
  const { config, db, log } = params;
  const settings = config.chain;
  let embedded: EmbeddedChain | null = null;
  let provider: Provider;
  let rpc: JsonRpcRequestFunction;
  let chainId: number;
  let wallet: Wallet;
  let replay: ReplayReport | null = null;

  if (settings.kind === 'embedded') {
    embedded = await startEmbeddedChain({ fundedAccounts: params.fundedAccounts });
    chainId = embedded.chainId;
    provider = embedded.provider;
    rpc = embedded.request;
    wallet = new Wallet(EMBEDDED_SIGNER_KEY, provider);
    replay = await replayJournal({ db, request: embedded.request, chainId });
    if (replay.transactions > 0) {
      log.info({ transactions: replay.transactions, seconds: replay.seconds }, 'embedded chain replayed from the journal');
    }
  } else {
    const url = settings.url;
    const key = readSignerKey(settings);
    const fetchRequest = new FetchRequest(url);
    fetchRequest.timeout = params.rpcTimeoutMs ?? 15_000;
    let reported: number;
    try {
      reported = await probeChainId(url, fetchRequest.timeout);
    } catch (cause) {
      throw new ChainError(
        'chain_unreachable',
        `Cannot reach the chain RPC at ${redact(url)}: ${(cause as Error).message}`,
        { url: redact(url) },
        { cause },
      );
    }
    if (settings.chainId !== null && settings.chainId !== reported) {
      throw new ChainError(
        'chain_id_mismatch',
        `The chain RPC at ${redact(url)} is chain ${reported}, but CHAIN_ID is ${settings.chainId}`,
        { expected: settings.chainId, actual: reported },
      );
    }
    chainId = reported;
    const network = Network.from(chainId);
    const jsonRpc = new JsonRpcProvider(fetchRequest, network, { staticNetwork: network, cacheTimeout: -1, batchMaxCount: 1 });
    provider = jsonRpc;
    rpc = async ({ method, params: callParams }) => {
      try {
        return { result: await jsonRpc.send(method, callParams) };
      } catch (error) {
        const rpcError = (error as { error?: { code: number; message: string; data?: unknown } }).error;
        return { error: rpcError ?? { code: -32603, message: (error as Error).message } };
      }
    };
    wallet = new Wallet(key, provider);
  }

  const sender = createTransactionSender({
    db,
    provider,
    wallet,
    chainId,
    confirmations: config.chain.confirmations,
    maxGasPriceGwei: config.chain.maxGasPriceGwei,
    afterBroadcast: embedded
      ? (tx) => recordMinedTransaction({ db, request: embedded!.request, chainId, rawTx: tx.rawTx, txHash: tx.txHash })
      : undefined,
  });

  let contractAddress: string;
  try {
    await sender.reconcile();
    contractAddress = await ensureRegistry({
      db,
      provider,
      sender,
      chainId,
      signer: wallet.address,
      configured: settings.kind === 'rpc' ? settings.contractAddress : null,
      baseUri: `${config.publicUrl}/chain/tokens/`,
      log,
    });
  } catch (error) {
    await embedded?.close();
    if (!embedded) (provider as JsonRpcProvider).destroy();
    throw error;
  }

  const registry = new Contract(contractAddress, registryInterface, provider);
  let lastError: string | null = null;
  const lowBalanceWei = parseEther(String(config.chain.lowBalanceEth));

  return {
    kind: settings.kind,
    chainId,
    contractAddress,
    signer: wallet.address,
    provider,
    registry,
    sender,
    rpc,
    embedded,
    replay,
    chainReference: `eip155:${chainId}:${contractAddress}`,
    reportError(message) {
      lastError = message;
    },
    async health() {
      const report: ChainHealthReport = {
        kind: settings.kind,
        chainId,
        contract: contractAddress,
        ok: true,
        signer: wallet.address,
        blockNumber: null,
        balanceEth: null,
        lowBalance: false,
        warnings: [],
        queue: null,
      };
      try {
        const [blockNumber, balance] = await Promise.all([provider.getBlockNumber(), provider.getBalance(wallet.address)]);
        report.blockNumber = blockNumber;
        report.balanceEth = formatEther(balance);
        if (balance < lowBalanceWei) {
          report.lowBalance = true;
          report.warnings.push(
            `low_balance: the signer has ${formatEther(balance)} ETH, below CHAIN_LOW_BALANCE_ETH (${config.chain.lowBalanceEth})`,
          );
        }
      } catch (error) {
        report.ok = false;
        report.error = `chain_unreachable: ${(error as Error).message}`;
      }
      report.queue = await chainQueueStats(db).catch(() => null);
      if (lastError) {
        report.lastError = lastError;
        if (report.ok && /^chain_unreachable/.test(lastError)) {
          report.ok = false;
          report.error = lastError;
        }
      }
      return report;
    },
    async close() {
      if (embedded) await embedded.close();
      else (provider as JsonRpcProvider).destroy();
    },
  };
}

/**
 * `eth_chainId` in one plain request. An ethers provider would do, but one that cannot
 * reach its node keeps retrying and printing on its own until destroyed, which start-up
 * (and its retries while the RPC is down) does not want.
 */
async function probeChainId(url: string, timeoutMs: number): Promise<number> {
  const request = new FetchRequest(url);
  request.timeout = timeoutMs;
  request.setHeader('content-type', 'application/json');
  request.body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] });
  const response = await request.send();
  response.assertOk();
  const answer = response.bodyJson as { result?: unknown; error?: { message?: string } } | null;
  if (typeof answer?.result !== 'string') throw new Error(answer?.error?.message ?? 'the endpoint did not answer eth_chainId');
  return Number(answer.result);
}

/** The signer's private key, 0x-prefixed, from CHAIN_SIGNER_KEY or CHAIN_SIGNER_KEY_FILE. */
export function readSignerKey(settings: { signerKey: string | null; signerKeyFile: string | null }): string {
  if (settings.signerKey) return settings.signerKey.startsWith('0x') ? settings.signerKey : `0x${settings.signerKey}`;
  const content = fs.readFileSync(settings.signerKeyFile!, 'utf8').trim();
  if (!/^(0x)?[0-9a-fA-F]{64}$/.test(content)) {
    throw new ChainError('chain_unavailable', `CHAIN_SIGNER_KEY_FILE ${settings.signerKeyFile} does not hold a 32-byte hex key`);
  }
  return content.startsWith('0x') ? content : `0x${content}`;
}

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    // API keys often sit in the path (Infura, Alchemy): keep only the host.
    return `${parsed.protocol}//${parsed.host}${parsed.pathname.length > 1 ? '/…' : ''}`;
  } catch {
    return '(unparseable URL)';
  }
}

async function ensureRegistry(params: {
  db: Database;
  provider: Provider;
  sender: TransactionSender;
  chainId: number;
  signer: string;
  configured: string | null;
  baseUri: string;
  log: Logger;
}): Promise<string> {
  const { db, provider, sender, chainId } = params;
  const known = params.configured ?? (await getDeployment(db, chainId))?.contractAddress ?? null;
  if (known) {
    if (!(await isSelloRegistry(provider, known))) {
      throw new ChainError(
        'contract_not_sello',
        params.configured
          ? `CHAIN_CONTRACT_ADDRESS ${known} is not a Sello registry on chain ${chainId}`
          : `The recorded registry ${known} is missing on chain ${chainId} (was the embedded chain's journal lost?)`,
        { contract: known, chainId },
      );
    }
    if (params.configured) {
      await saveDeployment(db, { chainId, contractAddress: known, txHash: null, blockNumber: null });
      // A registry deployed by someone else works only once they grant Sello's signer its roles.
      const registry = new Contract(known, registryInterface, provider);
      const missing: string[] = [];
      for (const role of ['ANCHORER_ROLE', 'MINTER_ROLE', 'ISSUER_ADMIN_ROLE']) {
        if (!(await registry.getFunction('hasRole')(id(role), params.signer))) missing.push(role);
      }
      if (missing.length > 0) {
        params.log.warn({ contract: known, signer: params.signer, missing }, 'the signer lacks registry roles: anchoring will fail until they are granted');
      }
    }
    return known;
  }
  const data = registryArtifact.bytecode + registryInterface.encodeDeploy([params.signer, params.baseUri]).slice(2);
  const tx = await sender.submit({ purpose: 'deploy', to: null, data });
  const final = await sender.waitForFinal(tx.id);
  if (final.status !== 'confirmed') {
    throw new ChainError('transaction_reverted', `Deploying the Sello registry failed (${final.status}): ${final.lastError ?? ''}`, {
      txHash: final.txHash,
    });
  }
  const address = getCreateAddress({ from: params.signer, nonce: final.nonce });
  await saveDeployment(db, { chainId, contractAddress: address, txHash: final.txHash, blockNumber: final.blockNumber });
  params.log.info({ contract: address, chainId, txHash: final.txHash }, 'Sello registry deployed');
  return address;
}
