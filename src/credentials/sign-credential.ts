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
 * @throws CredentialError `credential_jsonld_invalid` (a property or type no context
 *   defines: the document's fault, `details.problem` and `details.term` say which),
 *   `unknown_context` (a context Sello does not bundle, `details.url`), `signing_failed`
 *   (anything else).
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
    const problem = jsonLdProblem(cause);
    if (problem?.details.problem === 'unknown_context') {
      throw new CredentialError('unknown_context', `${problem.message}: Sello loads JSON-LD contexts only from the packages it ships, never from the web`, problem.details, { cause });
    }
    if (problem) {
      throw new CredentialError('credential_jsonld_invalid', `The credential is not valid JSON-LD for its contexts: ${problem.message}`, problem.details, { cause });
    }
    throw new CredentialError('signing_failed', `Could not sign the credential: ${(cause as Error).message}`, undefined, { cause });
  }
}

/**
 * The caller's part in a signing failure, when the JSON-LD processor caused it: a term or
 * type no context defines (safe mode, https://www.w3.org/TR/vc-data-integrity/#securing-data-losslessly),
 * a context Sello does not have, malformed JSON-LD. Null for anything else (a key problem
 * is Sello's, not the credential's).
 */
function jsonLdProblem(error: unknown): { message: string; details: Record<string, unknown> } | null {
  type Node = { name?: unknown; message?: unknown; details?: Record<string, unknown>; cause?: unknown };
  const chain: Node[] = [];
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  while (queue.length > 0) {
    const current = queue.shift() as Node | null;
    if (!current || typeof current !== 'object' || seen.has(current)) continue;
    seen.add(current);
    chain.push(current);
    queue.push(current.cause, current.details?.cause);
  }
  for (const current of chain) {
    if (current instanceof CredentialError && current.code === 'remote_document_refused') {
      return { message: `Sello has no JSON-LD context ${String(current.details?.url)}`, details: { problem: 'unknown_context', url: current.details?.url } };
    }
    const event = current.details?.event as { code?: unknown; details?: Record<string, unknown> } | undefined;
    if (current.name === 'jsonld.ValidationError' && event) {
      const about = event.details ?? {};
      const term = about.property ?? about.type ?? about.id ?? about.value;
      return {
        message: `${String(event.code)}${term === undefined ? '' : ` (${JSON.stringify(term)})`}: every property and type must be defined by the credential's @context`,
        details: { problem: String(event.code).replace(/\s+/g, '_'), ...(term === undefined ? {} : { term }) },
      };
    }
  }
  const jsonLdError = chain.find((current) => typeof current.name === 'string' && current.name.startsWith('jsonld.'));
  return jsonLdError ? { message: String(jsonLdError.message), details: { problem: String(jsonLdError.name).slice('jsonld.'.length) } } : null;
}
