/**
 * Issuer identifiers: `did:web` of a Sello deployment (https://w3c-ccg.github.io/did-method-web/)
 * and `did:key` (https://w3c-ccg.github.io/did-method-key/), and the DID documents
 * that list an issuer's keys.
 */
import { CredentialError } from './errors.ts';
import { DID_V1_CONTEXT, MULTIKEY_V1_CONTEXT } from './contexts.ts';
import { isEd25519PublicKeyMultibase } from './multikey.ts';
import { toXsdDateTime } from './build-credential.ts';

/** One key as a DID document lists it: the Multikey verification method. */
export interface VerificationMethod {
  id: string;
  type: 'Multikey';
  controller: string;
  publicKeyMultibase: string;
  /**
   * When the controller revoked the key, an XSD dateTimeStamp
   * (https://www.w3.org/TR/cid-1.0/#verification-methods; the Multikey context defines it).
   */
  revoked?: string;
}

export interface DidDocument {
  '@context': string[];
  id: string;
  verificationMethod: VerificationMethod[];
  assertionMethod: string[];
  authentication?: string[];
  [extra: string]: unknown;
}

/**
 * `did:web` of a base URL: `http://localhost:3000` → `did:web:localhost%3A3000`;
 * with `path` segments `['issuers','uni']` → `did:web:localhost%3A3000:issuers:uni`.
 */
export function didWebFromUrl(baseUrl: string, path: string[] = []): string {
  const url = new URL(baseUrl);
  const host = encodeURIComponent(url.host);
  const basePath = url.pathname.split('/').filter(Boolean);
  return ['did', 'web', host, ...basePath, ...path].map((part, i) => (i < 3 ? part : encodeURIComponent(part))).join(':');
}

/**
 * The HTTPS (or, for `localhost`, HTTP) URL of a `did:web` DID document, per the
 * did:web "Read (Resolve)" rules.
 *
 * @throws CredentialError `invalid_did` when `did` is not a did:web.
 */
export function didWebDocumentUrl(did: string): string {
  const match = /^did:web:([^:#?]+)((?::[^:#?]+)*)$/.exec(did);
  if (!match) throw new CredentialError('invalid_did', `Not a did:web identifier: ${did}`, { did });
  const host = decodeURIComponent(match[1]!);
  const path = match[2]!.split(':').filter(Boolean).map(decodeURIComponent);
  // Local deployments (tests, demos) have no TLS; every other host must use https.
  const scheme = /^(localhost|127\.0\.0\.1)(:\d+)?$/.test(host) ? 'http' : 'https';
  return path.length === 0 ? `${scheme}://${host}/.well-known/did.json` : `${scheme}://${host}/${path.join('/')}/did.json`;
}

/** The DID without its fragment: `did:web:x#key-1` → `did:web:x`. */
export function didOf(didUrl: string): string {
  return didUrl.split('#')[0]!;
}

/** `did:key` of an Ed25519 public key, and its single verification method id. */
export function didKeyFromPublicKey(publicKeyMultibase: string): { did: string; verificationMethod: string } {
  const did = `did:key:${publicKeyMultibase}`;
  return { did, verificationMethod: `${did}#${publicKeyMultibase}` };
}

/**
 * The DID document of a `did:key`, computed (no network): one Multikey method used
 * for assertion and authentication.
 *
 * @throws CredentialError `invalid_did` when the key is not an Ed25519 multibase key.
 */
export function resolveDidKey(did: string): DidDocument {
  const key = /^did:key:(z[1-9A-HJ-NP-Za-km-z]+)$/.exec(didOf(did))?.[1];
  if (!key || !isEd25519PublicKeyMultibase(key)) {
    throw new CredentialError('invalid_did', `Not an Ed25519 did:key: ${did}`, { did });
  }
  const id = `did:key:${key}`;
  const method: VerificationMethod = { id: `${id}#${key}`, type: 'Multikey', controller: id, publicKeyMultibase: key };
  return {
    '@context': [DID_V1_CONTEXT, MULTIKEY_V1_CONTEXT],
    id,
    verificationMethod: [method],
    assertionMethod: [method.id],
    authentication: [method.id],
  };
}

/** A key of an issuer with its validity, as the DID document shows it. */
export interface PublishedKey {
  /** Fragment-qualified verification method id (`did:web:host#key-…`). */
  id: string;
  publicKeyMultibase: string;
  validFrom: Date;
  validUntil: Date | null;
  /** When the issuer revoked the key; null while it is not revoked. */
  revokedAt: Date | null;
}

/**
 * `document` with the keys of `revoked` (verification method id → revocation date)
 * marked as the Controlled Identifiers spec says, `revoked: <dateTimeStamp>` on the
 * verification method (https://www.w3.org/TR/cid-1.0/#verification-methods), and taken
 * out of `assertionMethod` and `authentication`: the Data Integrity library checks the
 * verification relationship, not `revoked`, so proofs made with the key fail there too.
 */
export function withRevokedKeys(document: DidDocument, revoked: ReadonlyMap<string, Date>): DidDocument {
  if (revoked.size === 0) return document;
  const usable = (ids: string[]) => ids.filter((id) => !revoked.has(id));
  return {
    ...document,
    verificationMethod: document.verificationMethod.map((method) => {
      const at = revoked.get(method.id);
      return at ? { ...method, revoked: toXsdDateTime(at) } : method;
    }),
    assertionMethod: usable(document.assertionMethod),
    ...(document.authentication ? { authentication: usable(document.authentication) } : {}),
  };
}

/**
 * The DID document of a did:web issuer. Every key stays listed after rotation so older
 * credentials keep verifying; revoked keys are marked so (see `withRevokedKeys`), and
 * proofs made with them fail. Validity periods go to the Sello-specific
 * `selloKeyValidity` member that JSON-LD processing ignores (DID Core allows extra
 * members), which the `issuer_key` check reads. `registries` (CAIP-10) become `service`
 * entries of type `SelloCredentialRegistry`.
 */
export function buildDidDocument(params: { did: string; keys: PublishedKey[]; registries?: string[] }): DidDocument {
  const verificationMethod = params.keys.map((key) => ({
    id: key.id,
    type: 'Multikey' as const,
    controller: params.did,
    publicKeyMultibase: key.publicKeyMultibase,
  }));
  const ids = params.keys.map((key) => key.id);
  const document: DidDocument = {
    '@context': [DID_V1_CONTEXT, MULTIKEY_V1_CONTEXT],
    id: params.did,
    verificationMethod,
    assertionMethod: ids,
    authentication: ids,
    // The registries that issue for this DID (CAIP-10), while the domain lives; the
    // chain's issuer directory keeps the binding after (the `issuer_registered` check).
    ...(params.registries?.length
      ? {
          service: params.registries.map((registry, i) => ({
            id: `${params.did}#sello-registry${i === 0 ? '' : `-${i + 1}`}`,
            type: 'SelloCredentialRegistry',
            serviceEndpoint: registry,
          })),
        }
      : {}),
    selloKeyValidity: params.keys.map((key) => ({
      id: key.id,
      validFrom: key.validFrom.toISOString(),
      validUntil: key.validUntil?.toISOString() ?? null,
      revoked: key.revokedAt !== null,
    })),
  };
  return withRevokedKeys(document, new Map(params.keys.flatMap((key) => (key.revokedAt ? [[key.id, key.revokedAt] as const] : []))));
}
