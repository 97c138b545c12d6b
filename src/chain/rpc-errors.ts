/**
 * Turns what ethers throws for a JSON-RPC failure into a `ChainError` with a code a
 * caller can act on (retry later, add funds, fix the contract call).
 */
import { isError } from 'ethers';
import { ChainError } from './chain-error.ts';
import { registryInterface } from './registry-contract.ts';

/** Decodes a registry custom error from revert data, e.g. `SoulboundTokenLocked(1)`. */
export function decodeRegistryError(data: unknown): { name: string; args: string[] } | null {
  if (typeof data !== 'string' || data.length < 10) return null;
  try {
    const parsed = registryInterface.parseError(data);
    return parsed ? { name: parsed.name, args: parsed.args.map((arg: unknown) => String(arg)) } : null;
  } catch {
    return null;
  }
}

export function describeRpcError(error: unknown, context: Record<string, unknown> = {}): ChainError {
  if (error instanceof ChainError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const shortMessage = (error as { shortMessage?: string })?.shortMessage ?? message;
  if (isError(error, 'INSUFFICIENT_FUNDS') || /insufficient funds/i.test(message)) {
    return new ChainError('insufficient_funds', `The signer cannot pay for the transaction: ${shortMessage}`, context, { cause: error });
  }
  if (/exceeds block gas limit|gas required exceeds|intrinsic gas too low|out of gas|exceeds.*gas cap|gas limit.*exceed/i.test(message)) {
    return new ChainError('out_of_gas', `The transaction runs out of gas: ${shortMessage}`, context, { cause: error });
  }
  if (isError(error, 'CALL_EXCEPTION')) {
    const decoded = decodeRegistryError(error.data);
    return new ChainError(
      'transaction_would_revert',
      decoded ? `The transaction would revert with ${decoded.name}(${decoded.args.join(', ')})` : `The transaction would revert: ${shortMessage}`,
      { ...context, error: decoded?.name ?? null, args: decoded?.args ?? [] },
      { cause: error },
    );
  }
  const transport =
    isError(error, 'NETWORK_ERROR') ||
    isError(error, 'TIMEOUT') ||
    isError(error, 'SERVER_ERROR') ||
    /ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EHOSTUNREACH|fetch failed|socket hang up|timeout|closed/i.test(message);
  if (transport) {
    return new ChainError('chain_unreachable', `The chain RPC did not answer: ${shortMessage}`, context, { cause: error });
  }
  return new ChainError('chain_rpc_error', `The chain RPC answered with an error: ${shortMessage}`, { ...context, message: shortMessage }, {
    cause: error,
  });
}
