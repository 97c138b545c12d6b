/**
 * The verification seam for `anchored_on_chain`: given a credential's hash, the chain
 * and contract it claims (`eip155:<chainId>:<contract>`) and its issuer key, checks the
 * chain with ONLY an RPC endpoint (no database, no Sello records):
 *
 * 1. the endpoint is the claimed chain (`chain_mismatch`);
 * 2. the contract is a Sello registry (`contract_not_sello`);
 * 3. the hash is in an anchor log of that registry (`not_anchored`);
 * 4. it is not revoked on-chain (`revoked_on_chain`);
 * 5. the issuer key is registered for the DID (`key_not_registered`), not revoked
 *    (`key_revoked`) and valid at the credential's `validFrom`
 *    (`key_not_valid_at_issuance`).
 *
 * It returns, never throws: an unreachable endpoint is `chain_unreachable`.
 *
 * @see https://www.imsglobal.org/spec/ob/v3p0/#verification
 * @see https://github.com/ChainAgnostic/CAIPs/blob/main/CAIPs/caip-10.md
 */
import { Contract, FetchRequest, JsonRpcProvider, getAddress, isAddress, isHexString, type Provider } from 'ethers';
import { findAnchor } from './find-anchor.ts';
import { isSelloRegistry } from './is-sello-registry.ts';
import { registryInterface } from './registry-contract.ts';

export interface AnchorQuery {
  /** '0x' + 64 hex: SHA-256 of the RFC 8785 (JCS) form of the signed credential. */
  credentialHash: string;
  chainId: number;
  contract: string;
  issuerDid: string;
  /** The proof's verification method: its id (`did:…#…`) or its multibase key. */
  verificationMethod: string;
  /** The credential's `validFrom` (ISO 8601). */
  validFrom: string;
}

export interface AnchorCheckResult {
  valid: boolean;
  /** Named failing check: chain_mismatch, contract_not_sello, not_anchored, revoked_on_chain, key_not_registered, key_revoked, key_not_valid_at_issuance, chain_unreachable, invalid_anchor_query. */
  error?: string;
  details?: Record<string, unknown>;
}

export type AnchorChecker = (query: AnchorQuery) => Promise<AnchorCheckResult>;

/**
 * Creates a checker over an RPC URL (any endpoint of the chain, e.g. a running Sello's
 * `/chain/rpc`) or an ethers provider.
 */
export function createAnchorChecker(params: { rpcUrl: string } | { provider: Provider }): AnchorChecker {
  let provider: Provider;
  if ('provider' in params) {
    provider = params.provider;
  } else {
    const request = new FetchRequest(params.rpcUrl);
    request.timeout = 20_000;
    provider = new JsonRpcProvider(request, undefined, { staticNetwork: true, cacheTimeout: -1, batchMaxCount: 1 });
  }
  return (query) => checkAnchor(provider, query).catch((error: unknown) => ({
    valid: false,
    error: 'chain_unreachable',
    details: { message: (error as Error)?.message ?? String(error) },
  }));
}

async function checkAnchor(provider: Provider, query: AnchorQuery): Promise<AnchorCheckResult> {
  if (!isHexString(query.credentialHash, 32) || !isAddress(query.contract) || !Number.isInteger(query.chainId)) {
    return { valid: false, error: 'invalid_anchor_query', details: { query } };
  }
  const issuedAt = Date.parse(query.validFrom);
  if (Number.isNaN(issuedAt)) return { valid: false, error: 'invalid_anchor_query', details: { validFrom: query.validFrom } };
  const contract = getAddress(query.contract);
  const chainId = Number((await provider.getNetwork()).chainId);
  if (chainId !== query.chainId) {
    return { valid: false, error: 'chain_mismatch', details: { claimed: query.chainId, endpoint: chainId } };
  }
  if (!(await isSelloRegistry(provider, contract))) {
    return { valid: false, error: 'contract_not_sello', details: { contract, chainId } };
  }
  const registry = new Contract(contract, registryInterface, provider);
  const anchor = await findAnchor({ provider, contract, credentialHash: query.credentialHash });
  if (!anchor) return { valid: false, error: 'not_anchored', details: { credentialHash: query.credentialHash, contract } };
  const details: Record<string, unknown> = { chainId, contract, anchor };

  const [revoked, reason, revokedAt] = (await registry.getFunction('revocationOf')(query.credentialHash)) as [boolean, bigint, bigint];
  if (revoked) {
    return {
      valid: false,
      error: 'revoked_on_chain',
      details: { ...details, reason: Number(reason), revokedAt: new Date(Number(revokedAt) * 1000).toISOString() },
    };
  }

  let keyId = query.verificationMethod;
  let key = await readKey(registry, query.issuerDid, keyId);
  if (!key.registered) {
    // A multibase key (or a did:key URL whose fragment is the key): find its registered id.
    const multibase = keyId.includes('#') ? keyId.slice(keyId.indexOf('#') + 1) : keyId;
    const found = (await registry.getFunction('issuerKeyIdByMultibase')(query.issuerDid, multibase)) as string;
    if (found) {
      keyId = found;
      key = await readKey(registry, query.issuerDid, keyId);
    }
  }
  if (!key.registered) {
    return { valid: false, error: 'key_not_registered', details: { ...details, issuerDid: query.issuerDid, verificationMethod: query.verificationMethod } };
  }
  const keyDetails = {
    keyId,
    publicKeyMultibase: key.publicKeyMultibase,
    validFrom: isoOrNull(key.validFrom),
    validUntil: isoOrNull(key.validUntil),
  };
  if (key.revokedAt > 0n) {
    return { valid: false, error: 'key_revoked', details: { ...details, key: { ...keyDetails, revokedAt: isoOrNull(key.revokedAt) } } };
  }
  const at = BigInt(Math.floor(issuedAt / 1000));
  if (at < key.validFrom || (key.validUntil !== 0n && at >= key.validUntil)) {
    return { valid: false, error: 'key_not_valid_at_issuance', details: { ...details, key: keyDetails, validFrom: query.validFrom } };
  }
  return { valid: true, details: { ...details, key: keyDetails } };
}

interface KeyRecord {
  publicKeyMultibase: string;
  validFrom: bigint;
  validUntil: bigint;
  revokedAt: bigint;
  registered: boolean;
}

async function readKey(registry: Contract, did: string, keyId: string): Promise<KeyRecord> {
  const record = (await registry.getFunction('issuerKey')(did, keyId)) as unknown as KeyRecord;
  return {
    publicKeyMultibase: record.publicKeyMultibase,
    validFrom: record.validFrom,
    validUntil: record.validUntil,
    revokedAt: record.revokedAt,
    registered: record.registered,
  };
}

function isoOrNull(seconds: bigint): string | null {
  return seconds === 0n ? null : new Date(Number(seconds) * 1000).toISOString();
}
