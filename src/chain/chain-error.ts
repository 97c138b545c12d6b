import { AppError } from '../errors.ts';

/**
 * Codes of the chain capability. HTTP statuses follow from the names
 * (`src/web/errors.ts`): `invalid_*` 400, `*_unavailable` 503, others 500.
 */
export type ChainErrorCode =
  /** The RPC endpoint did not answer (down, timing out, refusing). */
  | 'chain_unreachable'
  /** The endpoint answers for another chain than the configured CHAIN_ID. */
  | 'chain_id_mismatch'
  /** The configured or recorded contract is not a Sello registry. */
  | 'contract_not_sello'
  /** The signer cannot pay for the transaction. */
  | 'insufficient_funds'
  /** The transaction needs more gas than a transaction or block may use. */
  | 'out_of_gas'
  /** The network's gas price is above CHAIN_MAX_GAS_PRICE_GWEI. */
  | 'gas_price_too_high'
  /** The call would revert (its custom error is in `details.error`). */
  | 'transaction_would_revert'
  /** The transaction was mined and reverted. */
  | 'transaction_reverted'
  /** The embedded chain's journal no longer replays to the same hashes. */
  | 'journal_replay_mismatch'
  /** A learner's wallet is not an EIP-55 checksummed address. */
  | 'invalid_wallet_address'
  /** No such user to link a wallet to. */
  | 'user_not_found'
  /** The node answered with an error Sello has no better name for (details.message). */
  | 'chain_rpc_error'
  /** The chain capability is not running (its RPC route answers 503). */
  | 'chain_unavailable'
  /** A JSON-RPC request to /chain/rpc is malformed or not allowed. */
  | 'invalid_rpc_request';

/** Errors of the chain capability: RPC, gas, funds, contract, journal, wallets. */
export class ChainError extends AppError<ChainErrorCode> {}
