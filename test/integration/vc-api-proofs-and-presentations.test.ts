/**
 * What an outside verifier checks of Sello's proofs, and how Sello's verifiers answer
 * presentations, for a did:key and a did:web issuer. Written from the specifications:
 * Data Integrity 1.0 (https://www.w3.org/TR/vc-data-integrity/#proofs: every proof
 * property maps to a URL of the security vocabulary), EdDSA Cryptosuites v1.0
 * (https://www.w3.org/TR/vc-di-eddsa/#multikey: Multikey, `z6Mk…` base58-btc with the
 * 0xed01 header; #proof-serialization-eddsa-rdfc-2022: a 64-byte signature, base58-btc),
 * VC Data Model 2.0 §4.3 (contexts), §4.13 (presentations: `verifiableCredential` is
 * optional), §5.3 (related resources: ids unique), and the VC API's verifier answers
 * (https://w3c-ccg.github.io/vc-api/#verify-presentation: 200 verified, 4xx otherwise).
 */
import jsonld from 'jsonld';
import request from 'supertest';
import * as vc from '@digitalbazaar/vc';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import { DataIntegrityProof } from '@digitalbazaar/data-integrity';
import { cryptosuite } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentLoader } from '../../src/credentials/document-loader.ts';
import { resolveDidKey } from '../../src/credentials/did.ts';
import { signCredential, type SigningKey } from '../../src/credentials/sign-credential.ts';
import { hashedEmailIdentity } from '../../src/credentials/recipient-identifier.ts';
import { makeDidKeyIssuer } from '../unit/credentials/fixtures.ts';
import { ADMIN, makeCredentialsApp } from './credentials-fixture.ts';

const VC_V2 = 'https://www.w3.org/ns/credentials/v2';
const OB_V3 = 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json';
const SEC = 'https://w3id.org/security#';
/** The examples vocabulary of VC 2.0, defined inline (no package ships `…/credentials/examples/v2`). */
const EXAMPLES_INLINE = { '@vocab': 'https://www.w3.org/ns/credentials/examples#' };

type Json = Record<string, unknown>;
type App = Awaited<ReturnType<typeof makeCredentialsApp>>;

/** Base58 (Bitcoin alphabet) decoding, as multibase `z` uses it. */
function base58btc(text: string): Uint8Array {
  const alphabet = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
  let value = 0n;
  for (const char of text) {
    const digit = alphabet.indexOf(char);
    if (digit < 0) throw new Error(`not base58: ${char}`);
    value = value * 58n + BigInt(digit);
  }
  const bytes: number[] = [];
  while (value > 0n) {
    bytes.unshift(Number(value % 256n));
    value /= 256n;
  }
  for (const char of text) {
    if (char !== '1') break;
    bytes.unshift(0);
  }
  return Uint8Array.from(bytes);
}

function plainCredential(overrides: Json = {}): Json {
  return {
    '@context': [VC_V2, EXAMPLES_INLINE],
    type: ['VerifiableCredential', 'ExampleDegreeCredential'],
    credentialSubject: { id: 'did:example:ebfeb1f712ebc6f1c276e12ec21', degree: { type: 'ExampleBachelorDegree', name: 'Bachelor of Science and Arts' } },
    ...overrides,
  };
}

function openBadge(): Json {
  return {
    '@context': [VC_V2, OB_V3],
    type: ['VerifiableCredential', 'OpenBadgeCredential'],
    name: 'Data Literacy',
    credentialSubject: {
      type: ['AchievementSubject'],
      identifier: [hashedEmailIdentity({ email: 'ana@example.edu', salt: 'salt-4567' })],
      achievement: {
        id: 'https://partner.example/achievements/data-literacy-2',
        type: ['Achievement'],
        name: 'Data Literacy',
        description: 'Reads, questions and explains data.',
        criteria: { narrative: 'Pass the final project.' },
      },
    },
  };
}

/** A holder's presentation, signed (Data Integrity, `authentication`) for a verifier's challenge and domain. */
async function signedPresentation(holder: SigningKey, presentation: Json, challenge: string, domain?: string): Promise<Json> {
  const pair = await Ed25519Multikey.from({ id: holder.verificationMethod, controller: holder.controller, type: 'Multikey', publicKeyMultibase: holder.publicKeyMultibase, secretKeyMultibase: holder.secretKeyMultibase });
  const signPresentation = (vc as unknown as { signPresentation(o: object): Promise<Json> }).signPresentation;
  return signPresentation({ presentation: structuredClone(presentation), suite: new DataIntegrityProof({ signer: pair.signer(), cryptosuite }), documentLoader: createDocumentLoader(), challenge, domain });
}

for (const method of ['key', 'web'] as const) {
  describe(`Data Integrity proofs and presentations with a did:${method} issuer`, () => {
    let t: App;
    let did: string;
    let holder: SigningKey;
    const issue = (credential: unknown) =>
      request(t.app).post('/credentials/issue').set('authorization', `Bearer ${ADMIN}`).set('accept', 'application/json').send({ credential });
    const verify = (credential: unknown) => request(t.app).post('/credentials/verify').send({ verifiableCredential: credential });
    const verifyPresentation = (presentation: unknown, options?: Json) =>
      request(t.app).post('/presentations/verify').send({ verifiablePresentation: presentation, ...(options ? { options } : {}) });
    /** The DID document of the issuer, as a verifier would get it. */
    const issuerDidDocument = async (): Promise<Json> =>
      method === 'key' ? ((await resolveDidKey(did)) as unknown as Json) : ((await request(t.app).get('/.well-known/did.json').expect(200)).body as Json);

    beforeAll(async () => {
      t = await makeCredentialsApp({ env: { ISSUER_DID_METHOD: method } });
      did = await t.keys.issuerDid(t.issuer);
      holder = await makeDidKeyIssuer();
    });
    afterAll(() => t.close());

    it("gives each proof a type, cryptosuite, verificationMethod, proofPurpose, created and proofValue that expand to the security vocabulary under the credential's own contexts, plain and Open Badge alike (issue 14.6)", async () => {
      for (const given of [plainCredential(), openBadge()]) {
        const res = await issue(given);
        expect(res.status, JSON.stringify(res.body)).toBe(201);
        const issued = res.body.verifiableCredential as Json;
        const [proof] = issued.proof as Json[];
        const expanded = (await jsonld.expand(issued, { documentLoader: createDocumentLoader(), safe: true } as never)) as Json[];
        const proofNode = ((expanded[0]![`${SEC}proof`] as Json[])[0]!['@graph'] as Json[])[0]!;
        expect(proofNode['@type']).toEqual([`${SEC}DataIntegrityProof`]);
        expect(proofNode[`${SEC}cryptosuite`]).toEqual([{ '@type': `${SEC}cryptosuiteString`, '@value': 'eddsa-rdfc-2022' }]);
        expect(proofNode[`${SEC}verificationMethod`]).toEqual([{ '@id': proof!.verificationMethod }]);
        expect(proofNode[`${SEC}proofPurpose`]).toEqual([{ '@id': `${SEC}assertionMethod` }]);
        expect(proofNode['http://purl.org/dc/terms/created']).toEqual([{ '@type': 'http://www.w3.org/2001/XMLSchema#dateTime', '@value': proof!.created }]);
        expect(proofNode[`${SEC}proofValue`]).toEqual([{ '@type': `${SEC}multibase`, '@value': proof!.proofValue }]);
        expect(proof!.created).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
      }
    });

    it('signs with a Multikey that its DID document lists for assertionMethod: z-prefixed base58-btc, Ed25519 header 0xed01, a 64-byte signature', async () => {
      const issued = (await issue(plainCredential())).body.verifiableCredential as Json;
      const [proof] = issued.proof as Array<Record<string, string>>;
      const document = await issuerDidDocument();
      const methods = document.verificationMethod as Array<Record<string, string>>;
      const key = methods.find((entry) => entry.id === proof!.verificationMethod);
      expect(key, JSON.stringify(document)).toMatchObject({ type: 'Multikey', controller: did, publicKeyMultibase: expect.stringMatching(/^z/) });
      const assertion = (document.assertionMethod as unknown[]).map((entry) => (typeof entry === 'string' ? entry : (entry as Json).id));
      expect(assertion).toContain(proof!.verificationMethod);
      const publicKey = base58btc(key!.publicKeyMultibase!.slice(1));
      expect([publicKey.length, publicKey[0], publicKey[1]]).toEqual([34, 0xed, 0x01]);
      expect(proof!.proofValue!.startsWith('z')).toBe(true);
      expect(base58btc(proof!.proofValue!.slice(1))).toHaveLength(64);
    });

    it('signs a credential whose example terms are defined inline by an @vocab context object (§4.3), and it verifies', async () => {
      const res = await issue(plainCredential({ id: `urn:uuid:${crypto.randomUUID()}` }));
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      const verified = await verify(res.body.verifiableCredential);
      expect(verified.status, JSON.stringify(verified.body.checks)).toBe(200);
      expect(verified.body.verified).toBe(true);
    });

    it('answers 422 from the verifier for a signed credential whose relatedResource ids repeat (§5.3), and 200 when they are unique', async () => {
      const other = await makeDidKeyIssuer();
      const resource = (digest: Json) => ({ id: 'https://uni.example/diploma.pdf', ...digest });
      const signed = (relatedResource: Json[]) =>
        signCredential({
          credential: { ...plainCredential(), issuer: other.controller, validFrom: '2026-01-01T00:00:00Z', relatedResource },
          key: other,
          documentLoader: createDocumentLoader(),
        });
      const unique = await verify(await signed([resource({ digestMultibase: 'uEiBZlVztZpfWHgPyslVv6-UwirFoQoRvW1htfx963sknNA' })]));
      expect(unique.status, JSON.stringify(unique.body.checks)).toBe(200);
      const repeated = await verify(await signed([resource({ digestMultibase: 'uEiBZlVztZpfWHgPyslVv6-UwirFoQoRvW1htfx963sknNA' }), resource({ digestSRI: 'sha384-NSOcNpmdIVUxIJGvGUoe22FjTWrXiaXlsZ8q6912LdnR3KraQO2n75Ica4wK4Qeg' })]));
      expect(repeated.status).toBe(422);
      expect(repeated.body).toMatchObject({ code: 'credential_not_verified', verified: false });
      expect(repeated.body.checks.find((check: { id: string }) => check.id === 'schema')).toMatchObject({ valid: false, error: 'schema_invalid' });
    });

    it("verifies a credential whose unordered proof set also holds another party's proof, wherever the issuer's proof sits; a forged proof in the set is a 422 (every proof of a set must verify)", async () => {
      const issued = (await issue(plainCredential())).body.verifiableCredential as Json;
      const { proof: issuerProofs, ...unsigned } = issued;
      const witness = await makeDidKeyIssuer();
      const witnessed = await signCredential({ credential: unsigned, key: witness, documentLoader: createDocumentLoader() });
      const [issuerProof] = issuerProofs as Json[];
      const [witnessProof] = witnessed.proof as Json[];
      for (const proof of [[issuerProof, witnessProof], [witnessProof, issuerProof]]) {
        const res = await verify({ ...issued, proof });
        expect(res.status, JSON.stringify(res.body.checks)).toBe(200);
      }
      const forged = { ...witnessProof, proofValue: issuerProof!.proofValue };
      const res = await verify({ ...issued, proof: [issuerProof, forged] });
      expect(res.status).toBe(422);
      expect(res.body.checks.find((check: { id: string }) => check.id === 'signature')).toMatchObject({ valid: false, error: 'invalid_signature' });
    });

    it("verifies a presentation its holder signed for the verifier's challenge and domain, holding a credential Sello issued; another challenge or domain is a 422", async () => {
      const issued = (await issue(plainCredential())).body.verifiableCredential as Json;
      const presentation = { '@context': [VC_V2], type: ['VerifiablePresentation'], id: `urn:uuid:${crypto.randomUUID()}`, holder: holder.controller, verifiableCredential: [issued] };
      const vp = await signedPresentation(holder, presentation, 'challenge-7', 'verifier.example');
      const ok = await verifyPresentation(vp, { challenge: 'challenge-7', domain: 'verifier.example' });
      expect(ok.status, JSON.stringify(ok.body)).toBe(200);
      expect(ok.body).toMatchObject({ verified: true, presentation: { valid: true }, credentials: [{ verified: true }] });
      const otherChallenge = await verifyPresentation(vp, { challenge: 'challenge-8', domain: 'verifier.example' });
      expect(otherChallenge.status).toBe(422);
      expect(otherChallenge.body).toMatchObject({ code: 'presentation_not_verified', verified: false, presentation: { valid: false } });
      const otherDomain = await verifyPresentation(vp, { challenge: 'challenge-7', domain: 'elsewhere.example' });
      expect(otherDomain.status).toBe(422);
    });

    it('verifies a signed presentation without credentials (DID authentication, §4.13) by its holder proof alone; unsigned and empty, it is a 422', async () => {
      const presentation = { '@context': [VC_V2], type: ['VerifiablePresentation'], holder: holder.controller };
      const vp = await signedPresentation(holder, presentation, 'challenge-9');
      const ok = await verifyPresentation(vp, { challenge: 'challenge-9' });
      expect(ok.status, JSON.stringify(ok.body)).toBe(200);
      expect(ok.body).toMatchObject({ verified: true, presentation: { valid: true }, credentials: [] });
      const withoutHolder = { '@context': [VC_V2], type: ['VerifiablePresentation'], id: `urn:uuid:${crypto.randomUUID()}` };
      expect((await verifyPresentation(await signedPresentation(holder, withoutHolder, 'challenge-10'), { challenge: 'challenge-10' })).status).toBe(200);
      const replayed = await verifyPresentation(vp, { challenge: 'challenge-other' });
      expect(replayed.status).toBe(422);
      const unsignedEmpty = await verifyPresentation(presentation);
      expect(unsignedEmpty.status).toBe(422);
      expect(unsignedEmpty.body).toMatchObject({ code: 'presentation_not_verified', verified: false, presentation: { skipped: true } });
    });
  });
}
