/**
 * The embedded chain: Hardhat's EDR EVM in-process (`@nomicfoundation/edr` 0.12.1, the
 * last line that runs on Node 20), reached through a JSON-RPC `request` function.
 *
 * The genesis is pinned (time, accounts, hardfork, chain id, coinbase, gas limit, base
 * fee) because the chain keeps no state on disk: Sello journals every transaction it
 * mines and replays the same bytes at the same block timestamps at start-up, which only
 * gives byte-identical hashes from an identical genesis.
 */
import * as edr from '@nomicfoundation/edr';
import { Wallet } from 'ethers';
import { RequestProvider, type JsonRpcRequestFunction } from './request-provider.ts';

/** Hardhat's chain id for local chains. */
export const EMBEDDED_CHAIN_ID = 31337;

/**
 * The embedded signer: Hardhat's well-known account #0. Safe because nobody else can
 * send to the embedded chain (its public RPC is read-only), and a constant key keeps the
 * genesis (which funds it) identical across restarts.
 */
export const EMBEDDED_SIGNER_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';

/** 2026-01-01T00:00:00Z: Hardhat's default ("now") would change the genesis hash every start. */
export const EMBEDDED_GENESIS_TIME = 1_767_225_600;

const GENESIS_BALANCE = 10n ** 24n; // 1,000,000 ETH: never runs out for a local chain
const BLOCK_GAS_LIMIT = 60_000_000n;
const COINBASE = '0xc014ba5ec014ba5ec014ba5ec014ba5ec014ba5e';

export interface EmbeddedChain {
  readonly chainId: number;
  /** Raw JSON-RPC, every method EDR knows (journal replay uses `evm_*`). */
  readonly request: JsonRpcRequestFunction;
  /** ethers provider over `request`. */
  readonly provider: RequestProvider;
  close(): Promise<void>;
}

export interface StartEmbeddedChainParameters {
  /** Extra funded accounts (tests give learners balance to try transfers). */
  fundedAccounts?: string[];
}

// EDR allows one context per process ("Should only be called once").
let contextPromise: Promise<edr.EdrContext> | null = null;
function edrContext(): Promise<edr.EdrContext> {
  contextPromise ??= (async () => {
    const context = new edr.EdrContext();
    await context.registerProviderFactory(edr.L1_CHAIN_TYPE, edr.l1ProviderFactory());
    return context;
  })();
  return contextPromise;
}

/**
 * EDR answers a revert with `data: {data: '0x…', reason}`; geth and every other node
 * answer `data: '0x…'`, which is what ethers (and wallets using /chain/rpc) decode into
 * custom errors. Normalise to the common shape.
 */
function standardRpcError(error: { code: number; message: string; data?: unknown }): { code: number; message: string; data?: unknown } {
  const data = error.data as { data?: unknown } | undefined;
  if (data && typeof data === 'object' && typeof data.data === 'string') return { ...error, data: data.data };
  return error;
}

function addressBytes(address: string): Uint8Array {
  return Buffer.from(address.slice(2), 'hex');
}

/**
 * Starts a fresh embedded chain at the pinned genesis (~70-300 ms).
 *
 * @see https://eips.ethereum.org/EIPS/eip-1193
 */
export async function startEmbeddedChain(params: StartEmbeddedChainParameters = {}): Promise<EmbeddedChain> {
  const context = await edrContext();
  const hardfork = edr.l1HardforkFromString(edr.OSAKA);
  const signer = new Wallet(EMBEDDED_SIGNER_KEY).address;
  const funded = [signer, ...(params.fundedAccounts ?? [])];
  const provider = await context.createProvider(
    edr.L1_CHAIN_TYPE,
    {
      allowBlocksWithSameTimestamp: false,
      allowUnlimitedContractSize: false,
      // eth_call must answer a revert as a JSON-RPC error carrying the revert data, as
      // geth does, or callers (ethers, wallets) cannot tell a revert from a result.
      bailOnCallFailure: true,
      bailOnTransactionFailure: false,
      chainId: BigInt(EMBEDDED_CHAIN_ID),
      coinbase: addressBytes(COINBASE),
      defaultTransactionGasLimit: 16_777_216n,
      genesisState: [
        ...edr.l1GenesisState(hardfork),
        ...funded.map((address) => ({ address: addressBytes(address), balance: GENESIS_BALANCE })),
      ],
      hardfork: edr.OSAKA,
      initialBaseFeePerGas: 1_000_000_000n,
      minGasPrice: 0n,
      mining: { autoMine: true, memPool: { order: edr.MineOrdering.Fifo } },
      network: { genesisBlockGasLimit: BLOCK_GAS_LIMIT, genesisBlockTime: BigInt(EMBEDDED_GENESIS_TIME) },
      networkId: BigInt(EMBEDDED_CHAIN_ID),
      observability: {},
      ownedAccounts: [],
      precompileOverrides: [],
    },
    { enable: false, decodeConsoleLogInputsCallback: () => [], printLineCallback: () => {} },
    { subscriptionCallback: () => {} },
    new edr.ContractDecoder(),
  );
  let closed = false;
  const request: JsonRpcRequestFunction = async ({ method, params: callParams }) => {
    if (closed) return { error: { code: -32000, message: 'the embedded chain is closed' } };
    const response = await provider.handleRequest(JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: callParams }));
    const data = typeof response.data === 'string' ? JSON.parse(response.data) : response.data;
    return data.error ? { error: standardRpcError(data.error) } : { result: data.result };
  };
  const ethersProvider = new RequestProvider({ request, chainId: EMBEDDED_CHAIN_ID });
  return {
    chainId: EMBEDDED_CHAIN_ID,
    request,
    provider: ethersProvider,
    async close() {
      closed = true;
      ethersProvider.destroy();
    },
  };
}
