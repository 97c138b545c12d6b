import { describe, expect, it } from 'vitest';
import * as vc from '@digitalbazaar/vc';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import { DataIntegrityProof } from '@digitalbazaar/data-integrity';
import { cryptosuite as libraryCryptosuite } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import { createEd25519Signer } from '../../../src/credentials/multikey.ts';
import { eddsaRdfc2022 } from '../../../src/credentials/cryptosuite.ts';
import { didKeyFromPublicKey } from '../../../src/credentials/did.ts';
import { CONTEXTS, OB_V3_CONTEXT, VC_V2_CONTEXT } from '../../../src/credentials/contexts.ts';
import { createDocumentLoader } from '../../../src/credentials/document-loader.ts';
import { signCredential, type SigningKey } from '../../../src/credentials/sign-credential.ts';
import { verifyCredential } from '../../../src/credentials/verify.ts';
import { buildStatusListCredential, encodeStatusList, readStatusBit } from '../../../src/credentials/status-list.ts';
import signedBefore from './signed-before-key-caching.json' with { type: 'json' };
import { check, documentLoader, makeDidKeyIssuer, unsignedCredential, verifyOptions } from './fixtures.ts';

/** The issuer of `signed-before-key-caching.json`: did:key of the seed 0x07 × 32. */
async function seedSevenIssuer(): Promise<SigningKey> {
  const pair = await Ed25519Multikey.generate({ seed: new Uint8Array(32).fill(7) });
  const { did, verificationMethod } = didKeyFromPublicKey(pair.publicKeyMultibase);
  return { verificationMethod, controller: did, publicKeyMultibase: pair.publicKeyMultibase, secretKeyMultibase: pair.secretKeyMultibase! };
}

function withoutProof(credential: Record<string, unknown>): Record<string, unknown> {
  const { proof: _proof, ...rest } = credential;
  return rest;
}

describe('signing keys imported once', () => {
  it('signs exactly the bytes the library signer signs (Ed25519 is deterministic)', async () => {
    const issuer = await makeDidKeyIssuer();
    const pair = await Ed25519Multikey.from({ id: issuer.verificationMethod, controller: issuer.controller, type: 'Multikey', publicKeyMultibase: issuer.publicKeyMultibase, secretKeyMultibase: issuer.secretKeyMultibase });
    const ours = await createEd25519Signer({ id: issuer.verificationMethod, controller: issuer.controller, publicKeyMultibase: issuer.publicKeyMultibase, secretKeyMultibase: issuer.secretKeyMultibase });
    expect(ours).toMatchObject({ id: issuer.verificationMethod, algorithm: 'Ed25519' });
    for (const data of [new Uint8Array(64), new Uint8Array(64).fill(255), new TextEncoder().encode('sello')]) {
      expect(Buffer.from(await ours.sign({ data }))).toEqual(Buffer.from(await pair.signer().sign({ data })));
    }
  });

  it('refuses a secret key that does not belong to the public key', async () => {
    const one = await makeDidKeyIssuer();
    const two = await makeDidKeyIssuer();
    await expect(
      createEd25519Signer({ id: one.verificationMethod, controller: one.controller, publicKeyMultibase: one.publicKeyMultibase, secretKeyMultibase: two.secretKeyMultibase }),
    ).rejects.toThrow(/does not match/);
  });

  it('gives the same signed credential as the library signer and cryptosuite', async () => {
    const issuer = await makeDidKeyIssuer();
    const now = new Date('2026-01-15T10:00:00Z');
    const credential = unsignedCredential(issuer);
    const pair = await Ed25519Multikey.from({ id: issuer.verificationMethod, controller: issuer.controller, type: 'Multikey', publicKeyMultibase: issuer.publicKeyMultibase, secretKeyMultibase: issuer.secretKeyMultibase });
    const byLibrary = await vc.issue({
      credential: structuredClone(credential),
      suite: new DataIntegrityProof({ signer: pair.signer(), cryptosuite: libraryCryptosuite, date: now }),
      documentLoader,
      now,
    });
    const bySello = await signCredential({ credential, key: issuer, documentLoader, now });
    expect(bySello).toEqual({ ...byLibrary, proof: [byLibrary.proof] });
  });

  it('re-signs credentials signed before the change to the same proofs, and verifies them', async () => {
    const issuer = await seedSevenIssuer();
    const [first, revoked] = signedBefore.credentials as Array<Record<string, unknown>>;
    for (const credential of [first!, revoked!]) {
      const proof = (credential.proof as Array<{ created: string }>)[0]!;
      const again = await signCredential({ credential: withoutProof(credential), key: issuer, documentLoader, now: new Date(proof.created) });
      expect(again).toEqual(credential);
    }
    // The suspension sibling list is signed now: only the revocation list is from before.
    const suspensionUrl = 'https://x.example/status/a-suspension';
    const suspensionList = await signCredential({
      credential: buildStatusListCredential({ url: suspensionUrl, issuer: issuer.controller, purpose: 'suspension', encodedList: await encodeStatusList({ setIndexes: [] }), validFrom: new Date('2026-01-01T00:00:00Z') }),
      key: issuer,
      documentLoader,
    });
    const options = {
      documentLoader,
      now: () => new Date('2026-06-01T00:00:00Z'),
      statusListLoader: async (url: string) => (url === suspensionUrl ? suspensionList : signedBefore.revocationList),
    };
    const report = await verifyCredential(first, options);
    expect(report.checks.filter((c) => !c.valid)).toEqual([]);
    expect(report.verified).toBe(true);
    const revokedReport = await verifyCredential(revoked, options);
    expect(check(revokedReport, 'signature').valid).toBe(true);
    expect(check(revokedReport, 'status')).toMatchObject({ valid: false, error: 'revoked' });
  });

  it('verifies with the library cryptosuite what Sello signs, and with Sello what the library signs', async () => {
    const issuer = await makeDidKeyIssuer();
    const bySello = await signCredential({ credential: unsignedCredential(issuer), key: issuer, documentLoader });
    const libraryResult = await vc.verifyCredential({
      credential: bySello,
      suite: new DataIntegrityProof({ cryptosuite: libraryCryptosuite }),
      documentLoader,
      checkStatus: async () => ({ verified: true }),
    });
    expect(libraryResult.verified).toBe(true);

    const pair = await Ed25519Multikey.from({ id: issuer.verificationMethod, controller: issuer.controller, type: 'Multikey', publicKeyMultibase: issuer.publicKeyMultibase, secretKeyMultibase: issuer.secretKeyMultibase });
    const byLibrary = await vc.issue({
      credential: unsignedCredential(issuer),
      suite: new DataIntegrityProof({ signer: pair.signer(), cryptosuite: libraryCryptosuite }),
      documentLoader,
    });
    // The library writes one proof as an object; the OB 3.0 schema wants an array.
    const report = await verifyCredential({ ...byLibrary, proof: [byLibrary.proof] }, await verifyOptions(issuer));
    expect(report.checks.filter((c) => !c.valid)).toEqual([]);
  });
});

describe('verifiers remembered per verification method', () => {
  it('builds one verifier per method and a separate one for another key', async () => {
    const one = await makeDidKeyIssuer();
    const two = await makeDidKeyIssuer();
    const methodOf = async (key: SigningKey) => (await documentLoader(key.verificationMethod)).document as Record<string, unknown>;
    const first = await eddsaRdfc2022.createVerifier({ verificationMethod: await methodOf(one) });
    expect(await eddsaRdfc2022.createVerifier({ verificationMethod: await methodOf(one) })).toBe(first);
    const other = await eddsaRdfc2022.createVerifier({ verificationMethod: await methodOf(two) });
    expect(other).not.toBe(first);

    const data = new TextEncoder().encode('signed by one');
    const signature = await (await createEd25519Signer({ id: one.verificationMethod, controller: one.controller, publicKeyMultibase: one.publicKeyMultibase, secretKeyMultibase: one.secretKeyMultibase })).sign({ data });
    expect(await first.verify({ data, signature })).toBe(true);
    expect(await other.verify({ data, signature })).toBe(false);
  });

  it('keeps the library cryptosuite name, algorithm and canonical bytes (canonicalization by shape, test/unit/credentials/canonize-by-shape.test.ts)', async () => {
    const library = libraryCryptosuite as typeof eddsaRdfc2022;
    expect(eddsaRdfc2022.name).toBe('eddsa-rdfc-2022');
    expect(eddsaRdfc2022.requiredAlgorithm).toBe(library.requiredAlgorithm);
    const credential = unsignedCredential(await makeDidKeyIssuer());
    for (let round = 0; round < 2; round += 1) {
      expect(await eddsaRdfc2022.canonize(structuredClone(credential), { documentLoader, base: null, safe: true })).toBe(
        await library.canonize(structuredClone(credential), { documentLoader, base: null, safe: true }),
      );
    }
  });

  it('does not remember a method the library rejects', async () => {
    const bad = { id: 'did:key:z6Mk#bad', type: 'Multikey', controller: 'did:key:z6Mk', publicKeyMultibase: 'zNotAKey' };
    await expect(eddsaRdfc2022.createVerifier({ verificationMethod: bad })).rejects.toThrow();
    await expect(eddsaRdfc2022.createVerifier({ verificationMethod: bad })).rejects.toThrow();
  });
});

describe('what the JSON-LD processor caches by identity', () => {
  it('serves each context as the same static object on every load, from any loader', async () => {
    const another = createDocumentLoader();
    for (const url of [VC_V2_CONTEXT, OB_V3_CONTEXT]) {
      const first = await documentLoader(url);
      const second = await another(url);
      expect(first).toMatchObject({ documentUrl: url, tag: 'static' });
      expect(first.document).toBe(CONTEXTS.get(url));
      expect(second.document).toBe(first.document);
    }
  });

  it('reads each status list by its own content when several are decoded', async () => {
    const lists = await Promise.all([[5], [6], []].map((setIndexes) => encodeStatusList({ setIndexes })));
    for (let round = 0; round < 2; round += 1) {
      expect(await Promise.all(lists.map((encodedList) => readStatusBit({ encodedList, index: 5 })))).toEqual([true, false, false]);
      expect(await Promise.all(lists.map((encodedList) => readStatusBit({ encodedList, index: 6 })))).toEqual([false, true, false]);
    }
  });
});
