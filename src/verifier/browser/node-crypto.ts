/**
 * `node:crypto` for the verifier page's bundle: only what Sello's verification code
 * calls (SHA-256 for the credential hash, Ed25519 public keys and signature checks for
 * `eddsa-rdfc-2022`), on audited pure-JS primitives (@noble), synchronous like node's
 * and working outside secure contexts. Signing and key generation are not offered: the
 * page verifies, it never holds a private key.
 */
import { ed25519 } from '@noble/curves/ed25519';
import { sha256 } from '@noble/hashes/sha256';
import { bytesToHex } from '@noble/hashes/utils';

// RFC 8410 SPKI header of a raw Ed25519 public key, as src/credentials/multikey.ts builds it.
const SPKI_ED25519_PREFIX = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];

interface BrowserPublicKey {
  type: 'public';
  asymmetricKeyType: 'ed25519';
  raw: Uint8Array;
}

function unavailable(name: string): never {
  throw new TypeError(`crypto.${name} is not available in the verifier page`);
}

export function createHash(algorithm: string) {
  if (algorithm.toLowerCase() !== 'sha256') unavailable(`createHash(${algorithm})`);
  const hash = sha256.create();
  const api = {
    update(data: string | Uint8Array, encoding?: string) {
      if (typeof data === 'string' && encoding && encoding !== 'utf8' && encoding !== 'utf-8') unavailable(`update(…, ${encoding})`);
      hash.update(typeof data === 'string' ? new TextEncoder().encode(data) : data);
      return api;
    },
    digest(encoding?: string) {
      const bytes = hash.digest();
      if (encoding === 'hex') return bytesToHex(bytes);
      if (encoding === undefined) return Buffer.from(bytes);
      return unavailable(`digest(${encoding})`);
    },
  };
  return api;
}

export function createPublicKey(input: { key: Uint8Array; format: string; type: string }): BrowserPublicKey {
  const der = input.key;
  const prefixOk = input.format === 'der' && input.type === 'spki' && der.length === 44 && SPKI_ED25519_PREFIX.every((byte, i) => der[i] === byte);
  if (!prefixOk) unavailable('createPublicKey (only Ed25519 SPKI DER)');
  return { type: 'public', asymmetricKeyType: 'ed25519', raw: Uint8Array.from(der.subarray(SPKI_ED25519_PREFIX.length)) };
}

/** `crypto.verify(null, data, key, signature)` for Ed25519 (RFC 8032, as OpenSSL checks it). */
export function verify(algorithm: null | undefined, data: Uint8Array, key: BrowserPublicKey, signature: Uint8Array): boolean {
  if (algorithm != null || key?.asymmetricKeyType !== 'ed25519') unavailable('verify (only Ed25519)');
  try {
    return ed25519.verify(signature, data, key.raw);
  } catch {
    // A malformed signature or point is a failed verification, as in node.
    return false;
  }
}

export function randomUUID(): string {
  return globalThis.crypto.randomUUID();
}

export function randomBytes(size: number): Buffer {
  return Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(size)));
}

export const createPrivateKey = (): never => unavailable('createPrivateKey');
export const sign = (): never => unavailable('sign');

export default { createHash, createPublicKey, verify, randomUUID, randomBytes, createPrivateKey, sign };
