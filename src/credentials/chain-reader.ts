/**
 * What verification may ask a chain, as an interface: `verifyCredential` stays pure
 * (no ethers, no RPC) and runs the same in Node, in the CLI and in a browser bundle,
 * given any implementation. Sello's own is `createChainReader` in
 * src/chain/chain-reader.ts (ethers over a JSON-RPC URL or provider).
 *
 * Every method reads state only and throws when the chain cannot answer (unreachable,
 * another chain than `ref.chainId`, not a registry); the checks turn a throw into a
 * named failure or a fallback, never into a pass.
 */

import type { ChainReference } from './chain-reference.ts';

/** A contract on an EVM chain, as CAIP-10 names it: `eip155:<chainId>:<address>` (see `parseCaip10`). */
export type ChainContractRef = ChainReference;

/** An issuer key as the registry's key registry holds it (times ISO 8601, whole seconds). */
export interface ChainIssuerKey {
  /** The verification method id the key is registered under. */
  keyId: string;
  publicKeyMultibase: string;
  validFrom: string;
  /** Exclusive end; null while open-ended. */
  validUntil: string | null;
  /** Block time of the key's revocation; null while not revoked. */
  revokedAt: string | null;
}

/** A credential's status as the registry holds it, read at `blockNumber`. */
export interface ChainCredentialStatus {
  revoked: boolean;
  /** Sello's reason code (0 unspecified, 1 issued in error, 2 superseded, 3 academic misconduct, 4 learner request). */
  reason: number;
  revokedAt: string | null;
  /** null when the registry keeps no suspensions (registries deployed before they were mirrored). */
  suspended: boolean | null;
  suspendedAt: string | null;
  blockNumber: number;
}

/** The issuer directory's binding of a DID to a registry. */
export interface ChainIssuerBinding {
  directory: string;
  registry: string;
  controller: string;
  /** Block time and number of the claim, or of the last move to `registry`. */
  boundAt: string;
  blockNumber: number;
}

/** A trust list's answer about one DID. */
export interface ChainTrustListEntry {
  list: string;
  name: string;
  member: boolean;
  /** When the DID joined the list; null when it is not a member. */
  since: string | null;
}

export interface ChainReader {
  /** The chain id of the endpoint. */
  chainId(): Promise<number>;
  /**
   * The key `verificationMethod` (its id, or for did:key its multibase) registered for
   * `did` in the registry `ref`; null when not registered.
   */
  issuerKey(params: ChainContractRef & { did: string; verificationMethod: string }): Promise<ChainIssuerKey | null>;
  /** Revocation and suspension of a credential hash in the registry `ref`. */
  credentialStatus(params: ChainContractRef & { credentialHash: string }): Promise<ChainCredentialStatus>;
  /** The directory's binding for `did` on chain `chainId`; null when nobody claimed it. */
  issuerBinding(params: { chainId: number; did: string }): Promise<ChainIssuerBinding | null>;
  /** Whether `did` is on the trust list `ref`. */
  trustListEntry(params: ChainContractRef & { did: string }): Promise<ChainTrustListEntry>;
}
