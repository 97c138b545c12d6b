/**
 * Signs with a Data Integrity proof, cryptosuite `eddsa-rdfc-2022`
 * (https://www.w3.org/TR/vc-di-eddsa/#eddsa-rdfc-2022), and returns the proof as an
 * array, which the official OB 3.0 schema requires.
 */
import * as vc from '@digitalbazaar/vc';
import { DataIntegrityProof } from '@digitalbazaar/data-integrity';
import { CredentialError } from './errors.ts';
import { eddsaRdfc2022 } from './cryptosuite.ts';
import { createEd25519Signer, type Ed25519Signer } from './multikey.ts';
import type { DocumentLoader } from './document-loader.ts';

/** The private half is only ever held in memory, decrypted for the signature. */
export interface SigningKey {
  /** Verification method id (`did:web:host#key-…` or `did:key:z…#z…`). */
  verificationMethod: string;
  controller: string;
  publicKeyMultibase: string;
  secretKeyMultibase: string;
}

export type Signer = Ed25519Signer;

const signers = new WeakMap<SigningKey, Promise<Signer>>();

/**
 * The signer of a key, built once per key object (the key provider hands out one
 * object per key): decoding the multibase key and importing it into node:crypto cost
 * more than the signature, so they are not repeated per credential.
 */
function signerFor(key: SigningKey): Promise<Signer> {
  let signer = signers.get(key);
  if (!signer) {
    signer = createEd25519Signer({
      id: key.verificationMethod,
      controller: key.controller,
      publicKeyMultibase: key.publicKeyMultibase,
      secretKeyMultibase: key.secretKeyMultibase,
    });
    signers.set(key, signer);
    // A key that cannot be imported is not remembered as broken.
    signer.catch(() => signers.delete(key));
  }
  return signer;
}

/**
 * Signs `credential` (not modified) and returns the signed copy with `proof: [ … ]`.
 *
 * @throws CredentialError `signing_failed` with the JSON-LD processor's reason (for
 *   example a property no context defines).
 */
export async function signCredential(params: {
  credential: Record<string, unknown>;
  key: SigningKey;
  documentLoader: DocumentLoader;
  now?: Date;
}): Promise<Record<string, unknown>> {
  const signer = await signerFor(params.key);
  const suite = new DataIntegrityProof({ signer, cryptosuite: eddsaRdfc2022, date: params.now });
  try {
    const signed = await vc.issue({
      credential: structuredClone(params.credential),
      suite,
      documentLoader: params.documentLoader,
      now: params.now,
    });
    const proof = signed.proof;
    return { ...signed, proof: Array.isArray(proof) ? proof : [proof] };
  } catch (cause) {
    throw new CredentialError('signing_failed', `Could not sign the credential: ${(cause as Error).message}`, undefined, { cause });
  }
}
