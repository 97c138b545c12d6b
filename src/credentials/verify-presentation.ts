/**
 * Verifies a Verifiable Presentation (https://www.w3.org/TR/vc-data-model-2.0/#verifiable-presentations):
 * the holder's proof when there is one (authentication, with the verifier's
 * `challenge` / `domain`), then every credential inside with `verifyCredential`.
 * Returns, never throws.
 */
import * as vc from '@digitalbazaar/vc';
import { DataIntegrityProof } from '@digitalbazaar/data-integrity';
import { cryptosuite as eddsaRdfc2022 } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import { verifyCredential, type VerificationReport, type VerifyCredentialOptions } from './verify.ts';

export interface PresentationReport {
  verified: boolean;
  /** The holder's proof: skipped (`unsigned`) when the presentation carries none. */
  presentation: { valid: boolean; skipped?: boolean; error?: string; details?: Record<string, unknown> };
  credentials: VerificationReport[];
}

/**
 * Verifies a presentation and each credential in it; `verified` needs a valid (or no)
 * holder proof and at least one credential, all verified. Presentation errors:
 * `not_an_object`, `not_a_presentation`, `invalid_presentation_proof`, `unsigned` (skipped).
 */
export async function verifyPresentation(
  presentation: unknown,
  options: VerifyCredentialOptions & { challenge?: string; domain?: string },
): Promise<PresentationReport> {
  if (!presentation || typeof presentation !== 'object' || Array.isArray(presentation)) {
    return { verified: false, presentation: { valid: false, error: 'not_an_object' }, credentials: [] };
  }
  const vp = presentation as Record<string, unknown>;
  const types = Array.isArray(vp.type) ? vp.type : [vp.type];
  if (!types.includes('VerifiablePresentation')) {
    return { verified: false, presentation: { valid: false, error: 'not_a_presentation', details: { message: 'type must include VerifiablePresentation' } }, credentials: [] };
  }
  const inner = vp.verifiableCredential === undefined ? [] : Array.isArray(vp.verifiableCredential) ? vp.verifiableCredential : [vp.verifiableCredential];
  const credentials = await Promise.all(inner.map((credential) => verifyCredential(credential, options)));

  let holder: PresentationReport['presentation'];
  const proof = vp.proof as Record<string, unknown> | Array<Record<string, unknown>> | undefined;
  if (!proof) {
    holder = { valid: true, skipped: true, error: 'unsigned', details: { message: 'The presentation has no holder proof' } };
  } else {
    const first = (Array.isArray(proof) ? proof[0] : proof) ?? {};
    const challenge = options.challenge ?? (typeof first.challenge === 'string' ? first.challenge : undefined);
    // Credentials were verified above with Sello's named checks; here only the holder's proof.
    const withoutCredentials = { ...vp };
    // vc.verify throws (rather than reports) on some malformed proofs, e.g. an authentication
    // proof without a challenge anywhere: a proof that cannot be checked is a failed one.
    try {
      const result = await (vc as unknown as {
        verify(o: object): Promise<{ verified: boolean; presentationResult?: { verified: boolean; error?: unknown }; error?: unknown }>;
      }).verify({
        presentation: withoutCredentials,
        suite: new DataIntegrityProof({ cryptosuite: eddsaRdfc2022 }),
        documentLoader: options.documentLoader,
        challenge,
        domain: options.domain,
        now: options.now?.(),
        checkStatus: async () => ({ verified: true }),
      });
      const presentationOk = result.presentationResult?.verified ?? false;
      holder = presentationOk
        ? { valid: true, details: { holder: vp.holder ?? null } }
        : { valid: false, error: 'invalid_presentation_proof', details: { message: String((result.presentationResult?.error as Error | undefined)?.message ?? (result.error as Error | undefined)?.message ?? 'proof does not verify') } };
    } catch (error) {
      holder = { valid: false, error: 'invalid_presentation_proof', details: { message: error instanceof Error ? error.message : String(error) } };
    }
  }
  const verified = holder.valid && credentials.length > 0 && credentials.every((report) => report.verified);
  return { verified, presentation: holder, credentials };
}
