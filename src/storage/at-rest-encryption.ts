/**
 * Encryption at rest under the deployment's key-encryption key (`SELLO_KEK`):
 * AES-256-GCM with a fresh 96-bit IV per value (NIST SP 800-38D), stored as
 * `v1.<iv>.<tag>.<ciphertext>` in base64. The associated data names the row the value
 * belongs to, so a ciphertext copied into another row does not decrypt.
 *
 * Used for issuer private keys (src/issuance/issuer-keys.ts) and the outcome sources'
 * connector tokens and webhook secrets (outcome-secret-repository.ts). It lives in
 * storage because both capabilities sit above it.
 */
import crypto from 'node:crypto';
import { StorageError } from '../errors.ts';

const FORMAT_VERSION = 'v1';

export interface EncryptAtRestParameters {
  /** The 32-byte key-encryption key (`secrets.keyEncryptionKey`). */
  kek: Buffer;
  plaintext: string;
  /** What the value is and which row holds it, e.g. `outcome_connectors.token|<platform id>`. */
  aad: string;
}

export interface DecryptAtRestParameters {
  kek: Buffer;
  /** A value made by `encryptAtRest`. */
  encrypted: string;
  /** The same associated data it was encrypted with. */
  aad: string;
  /** Names the secret in the error message, e.g. "the Moodle/Canvas connector token". */
  what: string;
}

/** Encrypts `plaintext`; the result is safe to store. */
export function encryptAtRest({ kek, plaintext, aad }: EncryptAtRestParameters): string {
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv('aes-256-gcm', kek, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [FORMAT_VERSION, iv.toString('base64'), cipher.getAuthTag().toString('base64'), ciphertext.toString('base64')].join('.');
}

/**
 * Decrypts a value made by `encryptAtRest`.
 *
 * @throws StorageError `secret_decryption_failed` when the KEK is not the one the value
 *   was encrypted with, or the stored value was changed; the message names `what`,
 *   never the value, and the OpenSSL error stays in `cause`.
 */
export function decryptAtRest({ kek, encrypted, aad, what }: DecryptAtRestParameters): string {
  const [version, iv, tag, ciphertext] = encrypted.split('.');
  try {
    if (version !== FORMAT_VERSION || !iv || !tag || !ciphertext) throw new Error('not a v1 encrypted value');
    const decipher = crypto.createDecipheriv('aes-256-gcm', kek, Buffer.from(iv, 'base64'));
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64')), decipher.final()]).toString('utf8');
  } catch (cause) {
    throw new StorageError('secret_decryption_failed', `Cannot decrypt ${what}: wrong SELLO_KEK or damaged row`, undefined, { cause });
  }
}
