/**
 * Puts the issuer's signing keys on-chain so that "was this key valid when the
 * credential was issued" can be answered without the issuer's DID document.
 */
import type { Logger } from '../logger.ts';
import { ChainError } from './chain-error.ts';
import type { ChainService } from './open-chain.ts';
import { registryInterface } from './registry-contract.ts';

export interface IssuerKeyToRegister {
  issuerDid: string;
  /** Verification method id (`did:web:x#key-1`), or a fragment (`#key-1`, `key-1`) of the DID. */
  keyId: string;
  publicKeyMultibase: string;
  /** ISO 8601 or Date. */
  validFrom: string | Date;
  validUntil: string | Date | null;
  revoked: boolean;
}

export interface RegisterIssuerKeysReport {
  registered: string[];
  expiryUpdated: string[];
  revoked: string[];
  unchanged: string[];
}

/** The full verification method id for a key id that may be a bare fragment. */
export function verificationMethodId(issuerDid: string, keyId: string): string {
  if (keyId.startsWith('did:')) return keyId;
  return `${issuerDid}#${keyId.replace(/^#/, '')}`;
}

function toMillis(value: string | Date): number {
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  if (Number.isNaN(ms)) throw new TypeError(`not a date: ${String(value)}`);
  return ms;
}

/**
 * A key's validity as the registry stores it, in whole Unix seconds: the start floored
 * and the end ceiled. Sello keeps validity to the millisecond and a credential states its
 * `validFrom` to the second, so a credential signed with the old key in the second of a
 * rotation (key until 11:05:20.686, credential from 11:05:20) must find the key valid:
 * flooring the end (11:05:20) rejected it forever. Widening outward never drops a
 * credential signed inside the period and registers keys current for less than a second
 * (floor and ceil of the same second differ by one; a zero-length period gets one second)
 * instead of reverting `InvalidKeyValidity(t, t)` at every pass.
 */
export function onChainValidity(validFrom: string | Date, validUntil: string | Date | null): { validFrom: bigint; validUntil: bigint } {
  const from = BigInt(Math.floor(toMillis(validFrom) / 1000));
  if (validUntil === null) return { validFrom: from, validUntil: 0n };
  const until = BigInt(Math.ceil(toMillis(validUntil) / 1000));
  return { validFrom: from, validUntil: until > from ? until : from + 1n };
}

/**
 * Registers every key not yet on-chain, brings expiry dates in line, and revokes keys
 * revoked in Sello. Idempotent: it reads the chain first and sends only what differs.
 * The composition root calls it at start-up and after key changes.
 *
 * @throws ChainError from the send queue (`insufficient_funds`, `chain_unreachable`, …)
 *   or `transaction_reverted`.
 */
export async function registerIssuerKeys(params: {
  chain: ChainService;
  keys: IssuerKeyToRegister[];
  log?: Logger;
}): Promise<RegisterIssuerKeysReport> {
  const { chain } = params;
  const report: RegisterIssuerKeysReport = { registered: [], expiryUpdated: [], revoked: [], unchanged: [] };
  for (const key of params.keys) {
    try {
      await registerOne(chain, key, report);
    } catch (error) {
      // A key the contract refuses (bad dates) must not stop every other key and all
      // anchoring behind it; unreachable chains and missing funds do stop.
      if (!(error instanceof ChainError && error.code === 'transaction_would_revert')) throw error;
      params.log?.error({ err: error, keyId: key.keyId, issuerDid: key.issuerDid }, 'issuer key refused by the registry');
    }
  }
  if (report.registered.length + report.revoked.length + report.expiryUpdated.length > 0) {
    params.log?.info(report, 'issuer keys updated on chain');
  }
  return report;
}

async function registerOne(chain: ChainService, key: IssuerKeyToRegister, report: RegisterIssuerKeysReport): Promise<void> {
  const keyId = verificationMethodId(key.issuerDid, key.keyId);
  const { validFrom, validUntil } = onChainValidity(key.validFrom, key.validUntil);
  const onChain = (await chain.registry.getFunction('issuerKey')(key.issuerDid, keyId)) as unknown as {
    registered: boolean;
    validUntil: bigint;
    revokedAt: bigint;
  };
  let changed = false;
  if (!onChain.registered) {
    await send(chain, 'register_key', 'registerIssuerKey', [key.issuerDid, keyId, key.publicKeyMultibase, validFrom, validUntil]);
    report.registered.push(keyId);
    changed = true;
  } else if (onChain.revokedAt === 0n && onChain.validUntil !== validUntil && !key.revoked) {
    await send(chain, 'key_expiry', 'setIssuerKeyExpiry', [key.issuerDid, keyId, validUntil]);
    report.expiryUpdated.push(keyId);
    changed = true;
  }
  if (key.revoked && (!onChain.registered || onChain.revokedAt === 0n)) {
    await send(chain, 'revoke_key', 'revokeIssuerKey', [key.issuerDid, keyId]);
    report.revoked.push(keyId);
    changed = true;
  }
  if (!changed) report.unchanged.push(keyId);
}

/** Sends one registry call through the queue and waits until it is final. */
export async function sendRegistryCall(
  chain: ChainService,
  purpose: string,
  method: string,
  args: unknown[],
): Promise<{ txHash: string; blockNumber: number | null }> {
  return send(chain, purpose, method, args);
}

async function send(chain: ChainService, purpose: string, method: string, args: unknown[]) {
  const tx = await chain.sender.submit({ purpose, to: chain.contractAddress, data: registryInterface.encodeFunctionData(method, args) });
  const final = await chain.sender.waitForFinal(tx.id);
  if (final.status !== 'confirmed') {
    throw new ChainError('transaction_reverted', `${method} failed on chain (${final.status})`, { txHash: final.txHash, method });
  }
  return { txHash: final.txHash, blockNumber: final.blockNumber };
}
