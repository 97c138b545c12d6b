/**
 * Signs with a Data Integrity proof, cryptosuite `eddsa-rdfc-2022`
 * (https://www.w3.org/TR/vc-di-eddsa/#eddsa-rdfc-2022), and returns the proof as an
 * array, which the official OB 3.0 schema requires.
 */
import * as vc from '@digitalbazaar/vc';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import { DataIntegrityProof } from '@digitalbazaar/data-integrity';
import { cryptosuite as eddsaRdfc2022 } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import { CredentialError } from './errors.ts';
import type { DocumentLoader } from './document-loader.ts';

/** The private half is only ever held in memory, decrypted for the signature. */
export interface SigningKey {
  /** Verification method id (`did:web:host#key-…` or `did:key:z…#z…`). */
  verificationMethod: string;
  controller: string;
  publicKeyMultibase: string;
  secretKeyMultibase: string;
}

export type Signer = ReturnType<Ed25519Multikey.Ed25519MultikeyPair['signer']>;

const signers = new WeakMap<SigningKey, Promise<Signer>>();

/** The library signer of a key, built once per key object. */
function signerFor(key: SigningKey): Promise<Signer> {
  let signer = signers.get(key);
  if (!signer) {
    signer = Ed25519Multikey.from({
      id: key.verificationMethod,
      controller: key.controller,
      type: 'Multikey',
      publicKeyMultibase: key.publicKeyMultibase,
      secretKeyMultibase: key.secretKeyMultibase,
    }).then((pair) => pair.signer());
    signers.set(key, signer);
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
