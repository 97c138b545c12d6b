/**
 * Ed25519 keys in the Multikey format (https://www.w3.org/TR/controller-document/#multikey)
 * used by `eddsa-rdfc-2022` proofs, and the signer / verifier objects Data Integrity
 * suites call (https://www.w3.org/TR/vc-di-eddsa/#algorithms).
 */
import crypto from 'node:crypto';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';

export interface Ed25519KeyMaterial {
  publicKeyMultibase: string;
  secretKeyMultibase: string;
}

/** What a `DataIntegrityProof` suite calls to sign: `{id, algorithm, sign({data})}`. */
export interface Ed25519Signer {
  id: string;
  algorithm: 'Ed25519';
  sign(options: { data: Uint8Array }): Promise<Uint8Array>;
}

/** What a cryptosuite's `createVerifier` returns: `{id, algorithm, verify({data, signature})}`. */
export interface Ed25519Verifier {
  id: string;
  algorithm: 'Ed25519';
  verify(options: { data: Uint8Array; signature: Uint8Array }): Promise<boolean>;
}

// DER headers of a raw Ed25519 key (RFC 8410): PKCS#8 private key, SPKI public key.
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** A fresh Ed25519 key pair, multibase-encoded (`z6Mk…` public, `zrv…` secret). */
export async function generateEd25519Key(): Promise<Ed25519KeyMaterial> {
  const pair = await Ed25519Multikey.generate();
  return { publicKeyMultibase: pair.publicKeyMultibase, secretKeyMultibase: pair.secretKeyMultibase! };
}

/** True when `value` is a multibase Ed25519 public key (`z6Mk` + base58btc). */
export function isEd25519PublicKeyMultibase(value: unknown): value is string {
  return typeof value === 'string' && /^z6Mk[1-9A-HJ-NP-Za-km-z]{44}$/.test(value);
}

/**
 * A signer for `key` whose private key is imported into node:crypto ONCE. The
 * library's own signer (`Ed25519Multikey.from(...).signer()`) re-imports the DER key
 * on every signature, which costs more than the signature itself (OpenSSL 3 key
 * decoding, ~1 ms). Ed25519 signatures are deterministic (RFC 8032 §5.1.6), so the
 * bytes are exactly those the library signer produces.
 *
 * @throws TypeError when the multibase strings are not an Ed25519 key pair, or the
 *   secret key does not belong to the public key.
 */
export async function createEd25519Signer(key: Ed25519KeyMaterial & { id: string; controller: string }): Promise<Ed25519Signer> {
  // The library decodes and validates the Multikey strings.
  const pair = await Ed25519Multikey.from({ ...key, type: 'Multikey' });
  const raw = await pair.export({ publicKey: true, secretKey: true, raw: true, canonicalize: true });
  if (!raw.secretKey || raw.secretKey.length !== 32 || !raw.publicKey) throw new TypeError(`${key.id} has no Ed25519 secret key`);
  const privateKey = crypto.createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, raw.secretKey]), format: 'der', type: 'pkcs8' });
  const derivedPublic = crypto.createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).subarray(SPKI_ED25519_PREFIX.length);
  if (!derivedPublic.equals(Buffer.from(raw.publicKey))) throw new TypeError(`The secret key of ${key.id} does not match its public key`);
  return {
    id: key.id,
    algorithm: 'Ed25519',
    async sign({ data }) {
      return crypto.sign(null, data, privateKey);
    },
  };
}

/**
 * A verifier for a Multikey verification method, its public key imported into
 * node:crypto once (the library's verifier re-imports it on every verification).
 * Validation of the method is the library's (`Ed25519Multikey.from`).
 *
 * @throws Error from the library when the verification method is not an Ed25519 Multikey.
 */
export async function createEd25519Verifier(verificationMethod: Record<string, unknown>): Promise<Ed25519Verifier> {
  const pair = await Ed25519Multikey.from(verificationMethod);
  const raw = await pair.export({ publicKey: true, raw: true });
  if (!raw.publicKey || raw.publicKey.length !== 32) throw new TypeError(`${String(verificationMethod.id)} is not an Ed25519 public key`);
  const publicKey = crypto.createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, raw.publicKey]), format: 'der', type: 'spki' });
  return {
    id: String(pair.id ?? verificationMethod.id),
    algorithm: 'Ed25519',
    async verify({ data, signature }) {
      return crypto.verify(null, data, publicKey, signature);
    },
  };
}
