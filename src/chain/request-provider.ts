/**
 * An ethers v6 provider over any EIP-1193 style `request` function (the embedded EDR
 * chain, or a test's node).
 *
 * Why not `BrowserProvider`: it asks the wallet for accounts and maps errors for browser
 * wallets; Sello signs locally and needs ethers' plain JSON-RPC error handling (revert
 * data, "insufficient funds", "nonce too low"), which `JsonRpcApiProvider` gives.
 */
import { JsonRpcApiProvider, Network, type JsonRpcError, type JsonRpcPayload, type JsonRpcResult } from 'ethers';

/** One JSON-RPC call: resolves to `{result}` or `{error}`, never throws for RPC errors. */
export type JsonRpcRequestFunction = (request: {
  method: string;
  params: unknown[];
}) => Promise<{ result?: unknown; error?: { code: number; message: string; data?: unknown } }>;

export class RequestProvider extends JsonRpcApiProvider {
  readonly #request: JsonRpcRequestFunction;

  constructor(params: { request: JsonRpcRequestFunction; chainId: number }) {
    const network = Network.from(params.chainId);
    // cacheTimeout -1: on a chain that mines instantly, ethers' 250 ms request cache
    // makes a signer reuse a nonce (FIELD-NOTES).
    super(network, { staticNetwork: network, cacheTimeout: -1, batchMaxCount: 1 });
    this.#request = params.request;
  }

  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<Array<JsonRpcResult | JsonRpcError>> {
    const list = Array.isArray(payload) ? payload : [payload];
    return Promise.all(
      list.map(async (call) => {
        const answer = await this.#request({ method: call.method, params: call.params as unknown[] });
        return answer.error ? { id: call.id, error: answer.error } : { id: call.id, result: answer.result };
      }),
    ) as Promise<Array<JsonRpcResult | JsonRpcError>>;
  }
}
