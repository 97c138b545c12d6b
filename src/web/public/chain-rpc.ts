/**
 * The chain's public, read-only face:
 *
 * - `POST /chain/rpc`: JSON-RPC 2.0 (single or batch) limited to read methods, so
 *   wallets and `sello verify --rpc <url>/chain/rpc` can check credentials against the
 *   embedded chain. Anything that writes or administers (`eth_sendRawTransaction`,
 *   `evm_*`, `hardhat_*`, `debug_*`) is refused.
 * - `GET /chain/tokens/:hash`: Sello's richer ERC-721 metadata of a soulbound credential
 *   token, the `external_url` of the metadata the contract builds on chain (browsers
 *   asking for HTML are sent to the credential's page).
 *
 * @see https://www.jsonrpc.org/specification
 * @see https://eips.ethereum.org/EIPS/eip-721 (metadata JSON schema)
 */
import { Router } from 'express';
import { findCredentialByHash } from '../../storage/soulbound-mint-repository.ts';
import type { Database } from '../../storage/database.ts';

/** Read methods served at /chain/rpc. */
export const READ_ONLY_RPC_METHODS: ReadonlySet<string> = new Set([
  'eth_chainId',
  'net_version',
  'web3_clientVersion',
  'eth_blockNumber',
  'eth_call',
  'eth_estimateGas',
  'eth_getLogs',
  'eth_getTransactionReceipt',
  'eth_getTransactionByHash',
  'eth_getBlockByNumber',
  'eth_getBlockByHash',
  'eth_getCode',
  'eth_getBalance',
  'eth_getStorageAt',
  'eth_getTransactionCount',
  'eth_gasPrice',
  'eth_maxPriorityFeePerGas',
  'eth_feeHistory',
  'eth_syncing',
]);

/** Largest JSON-RPC batch accepted (a verifier needs 4-8 calls). */
const MAX_BATCH = 50;

type RpcRequestFunction = (request: {
  method: string;
  params: unknown[];
}) => Promise<{ result?: unknown; error?: { code: number; message: string; data?: unknown } }>;

export interface ChainRpcDependencies {
  db: Database;
  /** The chain's JSON-RPC; null while the chain is not running (answers 503). */
  rpc: RpcRequestFunction | null;
  publicUrl: string;
}

interface RpcCall {
  jsonrpc?: unknown;
  id?: unknown;
  method?: unknown;
  params?: unknown;
}

async function answer(rpc: RpcRequestFunction, call: RpcCall): Promise<Record<string, unknown>> {
  const id = typeof call?.id === 'string' || typeof call?.id === 'number' ? call.id : null;
  if (!call || typeof call !== 'object' || call.jsonrpc !== '2.0' || typeof call.method !== 'string') {
    return { jsonrpc: '2.0', id, error: { code: -32600, message: 'Invalid JSON-RPC request' } };
  }
  if (!READ_ONLY_RPC_METHODS.has(call.method)) {
    return { jsonrpc: '2.0', id, error: { code: -32601, message: `${call.method} is not available on this read-only endpoint` } };
  }
  const params = call.params === undefined ? [] : call.params;
  if (!Array.isArray(params)) return { jsonrpc: '2.0', id, error: { code: -32602, message: 'params must be an array' } };
  const result = await rpc({ method: call.method, params });
  return result.error ? { jsonrpc: '2.0', id, error: result.error } : { jsonrpc: '2.0', id, result: result.result ?? null };
}

export function chainRpcRouter(deps: ChainRpcDependencies): Router {
  const router = Router();
  // Read-only and credential-free: verifier pages on any origin (or opened from disk) may
  // call it, as they call public RPC endpoints. A JSON POST needs the preflight answered.
  router.options('/chain/rpc', (_req, res) => {
    res
      .set({ 'access-control-allow-origin': '*', 'access-control-allow-methods': 'POST', 'access-control-allow-headers': 'content-type', 'access-control-max-age': '600' })
      .status(204)
      .end();
  });
  router.post('/chain/rpc', async (req, res, next) => {
    res.set('access-control-allow-origin', '*');
    try {
      if (!deps.rpc) {
        res.status(503).json({ jsonrpc: '2.0', id: null, error: { code: -32000, message: 'The chain is not running' } });
        return;
      }
      const body = req.body as unknown;
      if (Array.isArray(body)) {
        if (body.length === 0 || body.length > MAX_BATCH) {
          res.json({ jsonrpc: '2.0', id: null, error: { code: -32600, message: `A batch holds 1 to ${MAX_BATCH} calls` } });
          return;
        }
        res.json(await Promise.all(body.map((call) => answer(deps.rpc!, call as RpcCall))));
        return;
      }
      res.json(await answer(deps.rpc, body as RpcCall));
    } catch (error) {
      next(error);
    }
  });

  router.get('/chain/tokens/:hash', async (req, res, next) => {
    try {
      const hash = req.params.hash.toLowerCase();
      const credential = /^0x[0-9a-f]{64}$/.test(hash) ? await findCredentialByHash(deps.db, hash) : null;
      if (!credential) {
        res.status(404).json({ code: 'token_not_found', message: 'No credential has this hash' });
        return;
      }
      const document = credential.document as {
        name?: string;
        description?: string;
        credentialSubject?: { achievement?: { name?: string; description?: string; image?: { id?: string } } };
      };
      const achievement = document.credentialSubject?.achievement;
      const page = `${deps.publicUrl}/credentials/${encodeURIComponent(credential.id)}`;
      // The token's on-chain metadata names this URL as its external_url: people get the
      // credential's page, wallets and marketplaces the JSON.
      if (req.accepts(['application/json', 'text/html']) === 'text/html') {
        res.redirect(303, page);
        return;
      }
      res.json({
        name: achievement?.name ?? document.name ?? 'Sello credential',
        description: achievement?.description ?? document.description ?? '',
        ...(achievement?.image?.id ? { image: achievement.image.id } : {}),
        external_url: page,
        attributes: [{ trait_type: 'credential_hash', value: hash }],
      });
    } catch (error) {
      next(error);
    }
  });
  return router;
}
