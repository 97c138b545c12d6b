/**
 * On-chain revocation by credential hash, so that revocation is checkable with only an
 * RPC endpoint. The credentials capability calls these when it revokes or reinstates.
 */
import { isHexString } from 'ethers';
import { ChainError } from './chain-error.ts';
import type { ChainService } from './open-chain.ts';
import { sendRegistryCall } from './register-issuer-keys.ts';

/** Sello's revocation reason codes, as stored on-chain. */
export const REVOCATION_REASONS = {
  unspecified: 0,
  issued_in_error: 1,
  superseded: 2,
  academic_misconduct: 3,
  learner_request: 4,
} as const;
export type RevocationReason = keyof typeof REVOCATION_REASONS;

/**
 * The on-chain code for a reason as Sello records it: one of the names above (any case,
 * spaces or dashes for underscores), else 0 (unspecified; the text stays in Sello).
 */
export function revocationReasonCode(reason: string | null): number {
  const key = (reason ?? '').trim().toLowerCase().replace(/[\s-]+/g, '_');
  return key in REVOCATION_REASONS ? REVOCATION_REASONS[key as RevocationReason] : 0;
}

export interface OnChainRevocation {
  revoked: boolean;
  reason: number;
  revokedAt: string | null;
}

function checkHash(credentialHash: string): void {
  if (!isHexString(credentialHash, 32)) throw new TypeError(`not a credential hash: ${credentialHash}`);
}

/**
 * Revokes a credential on-chain; a credential already revoked there is left as is.
 *
 * @throws ChainError from the send queue, `transaction_reverted`.
 */
export async function revokeCredentialOnChain(params: {
  chain: ChainService;
  credentialHash: string;
  reason: RevocationReason;
}): Promise<{ txHash: string | null }> {
  checkHash(params.credentialHash);
  const current = await readOnChainRevocation(params);
  if (current.revoked) return { txHash: null };
  const { txHash } = await sendRegistryCall(params.chain, 'revoke', 'revokeCredential', [
    params.credentialHash,
    REVOCATION_REASONS[params.reason],
  ]);
  return { txHash };
}

/**
 * Reinstates a credential revoked on-chain; one not revoked there is left as is.
 *
 * @throws ChainError from the send queue, `transaction_reverted`.
 */
export async function unrevokeCredentialOnChain(params: { chain: ChainService; credentialHash: string }): Promise<{ txHash: string | null }> {
  checkHash(params.credentialHash);
  const current = await readOnChainRevocation(params);
  if (!current.revoked) return { txHash: null };
  const { txHash } = await sendRegistryCall(params.chain, 'unrevoke', 'unrevokeCredential', [params.credentialHash]);
  return { txHash };
}

/** The on-chain revocation state of a credential. */
export async function readOnChainRevocation(params: { chain: ChainService; credentialHash: string }): Promise<OnChainRevocation> {
  try {
    const [revoked, reason, revokedAt] = (await params.chain.registry.getFunction('revocationOf')(params.credentialHash)) as [
      boolean,
      bigint,
      bigint,
    ];
    return { revoked, reason: Number(reason), revokedAt: revokedAt === 0n ? null : new Date(Number(revokedAt) * 1000).toISOString() };
  } catch (cause) {
    throw new ChainError('chain_unreachable', `Cannot read the revocation state: ${(cause as Error).message}`, undefined, { cause });
  }
}
