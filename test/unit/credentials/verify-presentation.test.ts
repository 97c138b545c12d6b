import * as vc from '@digitalbazaar/vc';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import { DataIntegrityProof } from '@digitalbazaar/data-integrity';
import { cryptosuite } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyPresentation } from '../../../src/credentials/verify-presentation.ts';
import type { SigningKey } from '../../../src/credentials/sign-credential.ts';
import { documentLoader, makeDidKeyIssuer, signedCredential, verifyOptions } from './fixtures.ts';

/** A holder (the learner's wallet) signing a presentation for a verifier's challenge. */
async function signedPresentation(holder: SigningKey, credential: object, challenge: string, domain?: string) {
  const pair = await Ed25519Multikey.from({ id: holder.verificationMethod, controller: holder.controller, type: 'Multikey', publicKeyMultibase: holder.publicKeyMultibase, secretKeyMultibase: holder.secretKeyMultibase });
  const presentation = { '@context': ['https://www.w3.org/ns/credentials/v2'], type: ['VerifiablePresentation'], holder: holder.controller, verifiableCredential: [credential] };
  const signPresentation = (vc as unknown as { signPresentation(o: object): Promise<Record<string, unknown>> }).signPresentation;
  return signPresentation({ presentation, suite: new DataIntegrityProof({ signer: pair.signer(), cryptosuite }), documentLoader, challenge, ...(domain ? { domain } : {}) });
}

describe('verifying presentations', () => {
  let issuer: SigningKey;
  let holder: SigningKey;
  let credential: Record<string, unknown>;
  beforeAll(async () => {
    issuer = await makeDidKeyIssuer();
    holder = await makeDidKeyIssuer();
    credential = await signedCredential(issuer);
  });

  it("verifies the holder's proof for the verifier's challenge and each credential inside", async () => {
    const vp = await signedPresentation(holder, credential, 'challenge-123');
    const report = await verifyPresentation(vp, { ...(await verifyOptions(issuer)), challenge: 'challenge-123' });
    expect(report.presentation).toMatchObject({ valid: true });
    expect(report.credentials).toHaveLength(1);
    expect(report.credentials[0]!.verified).toBe(true);
    expect(report.verified).toBe(true);
  });

  it('fails, instead of throwing, a holder proof that names no challenge when the verifier gives none', async () => {
    const presentation = { '@context': ['https://www.w3.org/ns/credentials/v2'], type: ['VerifiablePresentation'], verifiableCredential: [credential] };
    for (const proof of [{}, { type: 'DataIntegrityProof', cryptosuite: 'eddsa-rdfc-2022', proofPurpose: 'authentication', verificationMethod: holder.verificationMethod, proofValue: 'zabc' }]) {
      const report = await verifyPresentation({ ...presentation, proof }, await verifyOptions(issuer));
      expect(report.verified).toBe(false);
      expect(report.presentation).toMatchObject({ valid: false, error: 'invalid_presentation_proof' });
    }
  });

  it('fails the presentation when the challenge differs (replay)', async () => {
    const vp = await signedPresentation(holder, credential, 'challenge-123');
    const report = await verifyPresentation(vp, { ...(await verifyOptions(issuer)), challenge: 'another' });
    expect(report.presentation).toMatchObject({ valid: false, error: 'invalid_presentation_proof' });
    expect(report.verified).toBe(false);
  });

  it('refuses an unsigned presentation when the verifier gives a challenge or a domain (issue 10.5)', async () => {
    const unsigned = { '@context': ['https://www.w3.org/ns/credentials/v2'], type: ['VerifiablePresentation'], verifiableCredential: [credential] };
    const withChallenge = await verifyPresentation(unsigned, { ...(await verifyOptions(issuer)), challenge: 'challenge-123' });
    expect(withChallenge.presentation).toMatchObject({ valid: false, error: 'missing_presentation_proof' });
    expect(withChallenge.verified).toBe(false);
    const withDomain = await verifyPresentation(unsigned, { ...(await verifyOptions(issuer)), domain: 'verifier.example' });
    expect(withDomain).toMatchObject({ verified: false, presentation: { valid: false, error: 'missing_presentation_proof' } });
  });

  it('checks the domain the holder signed for', async () => {
    const vp = await signedPresentation(holder, credential, 'challenge-123', 'verifier.example');
    const good = await verifyPresentation(vp, { ...(await verifyOptions(issuer)), challenge: 'challenge-123', domain: 'verifier.example' });
    expect(good).toMatchObject({ verified: true, presentation: { valid: true } });
    const other = await verifyPresentation(vp, { ...(await verifyOptions(issuer)), challenge: 'challenge-123', domain: 'elsewhere.example' });
    expect(other).toMatchObject({ verified: false, presentation: { valid: false, error: 'invalid_presentation_proof' } });
  });

  it('fails the holder proof when a credential inside was swapped after signing', async () => {
    const vp = await signedPresentation(holder, credential, 'challenge-123');
    const another = await signedCredential(issuer, { recipient: { email: 'someone.else@example.edu', name: 'Someone Else' } });
    const swapped = { ...vp, verifiableCredential: [another] };
    const report = await verifyPresentation(swapped, { ...(await verifyOptions(issuer)), challenge: 'challenge-123' });
    expect(report.credentials[0]!.verified).toBe(true);
    expect(report.presentation).toMatchObject({ valid: false, error: 'invalid_presentation_proof' });
    expect(report.verified).toBe(false);
  });

  it('fails a proof made by someone other than the named holder', async () => {
    const vp = await signedPresentation(holder, credential, 'challenge-123');
    const report = await verifyPresentation({ ...vp, holder: issuer.controller }, { ...(await verifyOptions(issuer)), challenge: 'challenge-123' });
    expect(report.presentation).toMatchObject({ valid: false, error: 'holder_mismatch' });
  });

  it('reports signed presentations without @context, with an object first, or checked without a challenge, without throwing (issue 14.3)', async () => {
    const vp = await signedPresentation(holder, credential, 'challenge-123');
    const options = await verifyOptions(issuer);
    const { ['@context']: _dropped, ...noContext } = vp;
    const missing = await verifyPresentation(noContext, { ...options, challenge: 'challenge-123' });
    expect(missing).toMatchObject({ verified: false, presentation: { valid: false, error: 'invalid_presentation_context' } });
    const objectFirst = await verifyPresentation({ ...vp, '@context': [{ '@vocab': 'https://example.org/#' }, ...(vp['@context'] as string[])] }, { ...options, challenge: 'challenge-123' });
    expect(objectFirst).toMatchObject({ verified: false, presentation: { valid: false, error: 'invalid_presentation_context' } });
    const noChallenge = await verifyPresentation(vp, options);
    expect(noChallenge).toMatchObject({ verified: true, presentation: { valid: true } });
    const { challenge: _c, ...proofWithoutChallenge } = (vp.proof as Record<string, unknown>);
    const bare = await verifyPresentation({ ...vp, proof: proofWithoutChallenge }, options);
    expect(bare).toMatchObject({ verified: false, presentation: { valid: false } });
    const garbage = await verifyPresentation({ ...vp, proof: { type: 'DataIntegrityProof', cryptosuite: 'eddsa-rdfc-2022', proofValue: 5, verificationMethod: ['x'] } }, { ...options, challenge: 'c' });
    expect(garbage).toMatchObject({ verified: false, presentation: { valid: false } });
  });

  it('reports an unsigned presentation as skipped, and something else as not a presentation', async () => {
    const unsigned = await verifyPresentation({ '@context': ['https://www.w3.org/ns/credentials/v2'], type: ['VerifiablePresentation'], verifiableCredential: credential }, await verifyOptions(issuer));
    expect(unsigned.presentation).toMatchObject({ valid: true, skipped: true, error: 'unsigned' });
    expect(unsigned.verified).toBe(true);
    const other = await verifyPresentation({ type: ['Something'] }, await verifyOptions(issuer));
    expect(other).toMatchObject({ verified: false, presentation: { valid: false, error: 'not_a_presentation' } });
  });
});

describe('verifying presentations, whatever they hold', () => {
  it('answers every mutation of a signed presentation with a report, never an exception (issue 14.3)', async () => {
    const fc = await import('fast-check');
    const holder = await makeDidKeyIssuer();
    const issuer = await makeDidKeyIssuer();
    const credential = await signedCredential(issuer);
    const vp = await signedPresentation(holder, credential, 'challenge-123');
    const options = await verifyOptions(issuer);
    const proof = vp.proof as Record<string, unknown>;
    const anything = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constant(undefined));
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          context: fc.oneof(anything, fc.constant(vp['@context'])),
          type: fc.oneof(anything, fc.constant(vp.type)),
          holder: fc.oneof(anything, fc.constant(vp.holder)),
          credentials: fc.oneof(anything, fc.constant(vp.verifiableCredential)),
          proofKey: fc.constantFrom('type', 'cryptosuite', 'challenge', 'domain', 'verificationMethod', 'proofPurpose', 'proofValue', 'created', '@context'),
          proofValue: anything,
          wholeProof: fc.oneof(fc.constant(null), anything),
          challenge: fc.oneof(fc.string(), fc.constant(undefined), fc.constant('challenge-123')),
          domain: fc.oneof(fc.string(), fc.constant(undefined)),
        }),
        async (m) => {
          const mutated: Record<string, unknown> = {
            ...vp,
            '@context': m.context,
            type: m.type,
            holder: m.holder,
            verifiableCredential: m.credentials,
            proof: m.wholeProof === null ? { ...proof, [m.proofKey]: m.proofValue } : m.wholeProof,
          };
          const report = await verifyPresentation(mutated, { ...options, challenge: m.challenge, domain: m.domain });
          expect(typeof report.verified).toBe('boolean');
          expect(typeof report.presentation.valid).toBe('boolean');
        },
      ),
      { numRuns: 150 },
    );
  }, 120_000);
});
