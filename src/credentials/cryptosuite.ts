/**
 * The `eddsa-rdfc-2022` cryptosuite (https://www.w3.org/TR/vc-di-eddsa/#eddsa-rdfc-2022)
 * that Sello hands to `DataIntegrityProof`: the library's name and required algorithm,
 * its canonicalization learnt per document shape (`canonize-by-shape.ts`: the same bytes,
 * without converting every credential of a known shape to RDF through jsonld), and
 * `createVerifier` remembered per verification method.
 *
 * The library's verifier imports the public key into node:crypto on every
 * verification (OpenSSL 3 key decoding, a large share of a verification's crypto
 * cost); a verifier is a pure function of the method's key material, so it is built
 * once per distinct method. Whether that key may sign for the issuer is still decided
 * on every verification (proof purpose, `issuer_key` check); only the decoding is kept.
 */
import { cryptosuite as libraryCryptosuite } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import { createEd25519Verifier, type Ed25519Verifier } from './multikey.ts';
import { canonizeByShape } from './canonize-by-shape.ts';

/** The members `DataIntegrityProof` reads from a cryptosuite. */
export interface Cryptosuite {
  name: string;
  requiredAlgorithm: string | string[];
  canonize(input: object, options: object): Promise<string>;
  createVerifier(options: { verificationMethod: Record<string, unknown> }): Promise<Ed25519Verifier>;
}

const library = libraryCryptosuite as Cryptosuite;

/** Distinct verification methods remembered; the oldest is forgotten first. */
const MAX_VERIFIERS = 1024;
const verifiers = new Map<string, Promise<Ed25519Verifier>>();

function rememberedVerifier({ verificationMethod }: { verificationMethod: Record<string, unknown> }): Promise<Ed25519Verifier> {
  // Keyed by the whole method as loaded, so any difference in it (type, key, id) is a
  // different verifier.
  const cacheKey = JSON.stringify(verificationMethod);
  let verifier = verifiers.get(cacheKey);
  if (!verifier) {
    verifier = createEd25519Verifier(verificationMethod);
    verifiers.set(cacheKey, verifier);
    // A method the library rejects is not remembered: it fails the same way next time.
    verifier.catch(() => verifiers.delete(cacheKey));
    if (verifiers.size > MAX_VERIFIERS) verifiers.delete(verifiers.keys().next().value!);
  }
  return verifier;
}

/** `eddsa-rdfc-2022` for `new DataIntegrityProof({cryptosuite})`, signing and verifying. */
export const eddsaRdfc2022: Cryptosuite = {
  name: library.name,
  requiredAlgorithm: library.requiredAlgorithm,
  canonize: canonizeByShape(library.canonize),
  createVerifier: rememberedVerifier,
};
