/**
 * Where a credential is anchored, carried inside the signed credential as a CAIP-10
 * account id (https://chainagnostic.org/CAIPs/caip-10) in the issuer's
 * `otherIdentifier` list: OB 3.0's own extension point (IdentifierEntry with an
 * `ext:` identifierType), valid against the official schema, needing no extra context
 * and covered by the signature.
 */

export interface ChainReference {
  chainId: number;
  /** 0x-prefixed contract address. */
  contract: string;
}

/** The `identifierType` Sello uses; matches the schema's `(ext:)[a-zA-Z0-9.-_]+`. */
export const CHAIN_REFERENCE_IDENTIFIER_TYPE = 'ext:SelloAnchorContract';

/** `eip155:<chainId>:<contract>`. */
export function toCaip10(reference: ChainReference): string {
  return `eip155:${reference.chainId}:${reference.contract}`;
}

/** The IdentifierEntry placed in `issuer.otherIdentifier`. */
export function chainReferenceIdentifier(reference: ChainReference) {
  return { type: 'IdentifierEntry', identifier: toCaip10(reference), identifierType: CHAIN_REFERENCE_IDENTIFIER_TYPE };
}

/** Parses `eip155:<chainId>:<0x address>`; null when it is not one. */
export function parseCaip10(value: string): ChainReference | null {
  const match = /^eip155:(\d{1,18}):(0x[0-9a-fA-F]{40})$/.exec(value);
  if (!match) return null;
  return { chainId: Number(match[1]), contract: match[2]! };
}

/** The chain reference a credential carries, or null when it has none (never throws). */
export function readChainReference(credential: unknown): ChainReference | null {
  const issuer = (credential as { issuer?: unknown } | null)?.issuer;
  if (!issuer || typeof issuer !== 'object') return null;
  const entries = (issuer as { otherIdentifier?: unknown }).otherIdentifier;
  for (const entry of Array.isArray(entries) ? entries : entries ? [entries] : []) {
    if (
      entry &&
      typeof entry === 'object' &&
      (entry as { identifierType?: unknown }).identifierType === CHAIN_REFERENCE_IDENTIFIER_TYPE &&
      typeof (entry as { identifier?: unknown }).identifier === 'string'
    ) {
      const parsed = parseCaip10((entry as { identifier: string }).identifier);
      if (parsed) return parsed;
    }
  }
  return null;
}
