/**
 * A learner links a wallet (now or after credentials were issued) and claims soulbound
 * tokens for every credential they hold: the anchor batcher mints for every anchored
 * credential whose recipient has a wallet and no token yet, so linking is all a claim
 * needs.
 */
import { getAddress } from 'ethers';
import type { Queryable } from '../storage/database.ts';
import { enqueueMints, setUserWallet } from '../storage/soulbound-mint-repository.ts';
import { ChainError } from './chain-error.ts';

/**
 * Returns the address when it is EIP-55 checksummed.
 *
 * @throws ChainError `invalid_wallet_address` (HTTP 400) for anything else, including
 *   all-lowercase addresses: a checksum catches a mistyped address before tokens are
 *   bound to it forever.
 * @see https://eips.ethereum.org/EIPS/eip-55
 */
export function parseWalletAddress(value: unknown): string {
  if (typeof value === 'string' && /^0x[0-9a-fA-F]{40}$/.test(value)) {
    try {
      if (getAddress(value) === value) return value;
    } catch {
      // falls through to the error below
    }
  }
  throw new ChainError('invalid_wallet_address', 'The wallet address must be an EIP-55 checksummed Ethereum address', {
    walletAddress: typeof value === 'string' ? value.slice(0, 100) : null,
  });
}

/**
 * Links a wallet to a user and queues tokens for their anchored credentials (minted by
 * the anchor batcher's next pass; credentials not yet anchored get theirs once anchored).
 *
 * @throws ChainError `invalid_wallet_address` (400), `user_not_found` (404).
 */
export async function linkWallet(params: { db: Queryable; userId: string; walletAddress: unknown }): Promise<{ walletAddress: string; queuedTokens: number }> {
  const walletAddress = parseWalletAddress(params.walletAddress);
  // users.id is a uuid: anything else cannot be a user (and would be a SQL error).
  const isUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(params.userId);
  const found = isUuid && await setUserWallet(params.db, { userId: params.userId, walletAddress });
  if (!found) throw new ChainError('user_not_found', 'No such user', { userId: params.userId });
  const queuedTokens = await enqueueMints(params.db);
  return { walletAddress, queuedTokens };
}
