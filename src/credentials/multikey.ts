/**
 * Ed25519 keys in the Multikey format (https://www.w3.org/TR/controller-document/#multikey)
 * used by `eddsa-rdfc-2022` proofs.
 */
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';

export interface Ed25519KeyMaterial {
  publicKeyMultibase: string;
  secretKeyMultibase: string;
}

/** A fresh Ed25519 key pair, multibase-encoded (`z6Mk…` public, `zrv…` secret). */
export async function generateEd25519Key(): Promise<Ed25519KeyMaterial> {
  const pair = await Ed25519Multikey.generate();
  return { publicKeyMultibase: pair.publicKeyMultibase, secretKeyMultibase: pair.secretKeyMultibase! };
}

/** True when `value` is a multibase Ed25519 public key (`z6Mk` + base58btc). */
export function isEd25519PublicKeyMultibase(value: unknown): value is string {
  return typeof value === 'string' && /^z6Mk[1-9A-HJ-NP-Za-km-z]{44}$/.test(value);
}
