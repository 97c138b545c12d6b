/**
 * Verifies a Verifiable Presentation (https://www.w3.org/TR/vc-data-model-2.0/#verifiable-presentations):
 * the holder's proof (Data Integrity, proof purpose `authentication` with the verifier's
 * `challenge` and `domain`, https://www.w3.org/TR/vc-data-integrity/#proof-purposes),
 * then every credential inside with `verifyCredential`. Returns, never throws.
 */
import jsigs from 'jsonld-signatures';
import { DataIntegrityProof } from '@digitalbazaar/data-integrity';
import { Ed25519Signature2020 } from '@digitalbazaar/ed25519-signature-2020';
import { AppError } from '../errors.ts';
import { eddsaRdfc2022 } from './cryptosuite.ts';
import { didOf } from './did.ts';
import { messageOf, nestedErrors } from './nested-errors.ts';
import { verifyCredential, type VerificationReport, type VerifyCredentialOptions } from './verify.ts';

/** The VC data model contexts a presentation may start with (2.0, and 1.1 for older wallets). */
const BASE_CONTEXTS = new Set(['https://www.w3.org/ns/credentials/v2', 'https://www.w3.org/2018/credentials/v1']);

export interface PresentationReport {
  verified: boolean;
  /** The holder's proof: skipped (`unsigned`) when the presentation carries none and the verifier asked for no challenge or domain. */
  presentation: { valid: boolean; skipped?: boolean; error?: string; details?: Record<string, unknown> };
  credentials: VerificationReport[];
}

export interface VerifyPresentationOptions extends VerifyCredentialOptions {
  /** The verifier's challenge: when given, the holder must have signed with exactly it. */
  challenge?: string;
  /** The verifier's domain: when given, the holder must have signed for it. */
  domain?: string;
}

type HolderResult = PresentationReport['presentation'];

function proofsOf(vp: Record<string, unknown>): Array<Record<string, unknown>> {
  const proof = vp.proof;
  if (proof === undefined || proof === null) return [];
  return (Array.isArray(proof) ? proof : [proof]).filter((p): p is Record<string, unknown> => !!p && typeof p === 'object' && !Array.isArray(p));
}

function holderIdOf(vp: Record<string, unknown>): string | null {
  const holder = vp.holder;
  if (typeof holder === 'string') return holder;
  if (holder && typeof holder === 'object' && typeof (holder as { id?: unknown }).id === 'string') return (holder as { id: string }).id;
  return null;
}

/** The most specific message in the nested errors the JSON-LD stack reports, and an AppError's code if any. */
function reasonOf(error: unknown): { code?: string; message: string } {
  let first = '';
  for (const current of nestedErrors(error)) {
    if (current instanceof AppError) return { code: current.code, message: current.message };
    first ||= messageOf(current) ?? '';
  }
  return { message: first || String(error) };
}

/**
 * The `@context` rule of VC 2.0 §4.3, checked here because the JSON-LD stack throws
 * on it (an object first, or no context at all) instead of reporting it.
 */
function contextProblem(vp: Record<string, unknown>): string | null {
  const context = vp['@context'];
  const first = Array.isArray(context) ? context[0] : context;
  if (typeof first !== 'string' || !BASE_CONTEXTS.has(first)) {
    return `@context must start with ${[...BASE_CONTEXTS].join(' or ')}`;
  }
  return null;
}

/**
 * The holder's proof. With a challenge or domain from the verifier the presentation must
 * carry a proof that verifies for them (a presentation without one is a replayable copy
 * of someone's credentials, not the holder speaking to this verifier); without either,
 * an unsigned presentation is a mere envelope and is reported as skipped. A proof is
 * checked over the whole presentation, credentials included, and its key must belong to
 * the `holder` when one is named.
 */
async function checkHolderProof(vp: Record<string, unknown>, options: VerifyPresentationOptions): Promise<HolderResult> {
  const proofs = proofsOf(vp);
  const asked = options.challenge !== undefined || options.domain !== undefined;
  if (proofs.length === 0) {
    return asked
      ? { valid: false, error: 'missing_presentation_proof', details: { message: 'A challenge or domain was given, so the presentation must be signed by its holder' } }
      : { valid: true, skipped: true, error: 'unsigned', details: { message: 'The presentation has no holder proof' } };
  }
  const contextError = contextProblem(vp);
  if (contextError) return { valid: false, error: 'invalid_presentation_context', details: { message: contextError } };
  const first = proofs[0]!;
  const method = typeof first.verificationMethod === 'string' ? first.verificationMethod : null;
  const holder = holderIdOf(vp);
  if (holder && method && didOf(method) !== holder) {
    return { valid: false, error: 'holder_mismatch', details: { message: `The proof's key ${method} does not belong to the holder ${holder}`, holder, verificationMethod: method } };
  }
  // Without the verifier's challenge, the proof's own is used: the signature is still
  // checked, but nothing stops a replay; the verifier asked for no protection from it.
  const challenge = options.challenge ?? (typeof first.challenge === 'string' ? first.challenge : undefined);
  const purpose =
    challenge !== undefined
      ? new jsigs.purposes.AuthenticationProofPurpose({ challenge, domain: options.domain, date: options.now?.() })
      : new jsigs.purposes.ControllerProofPurpose({ term: 'authentication', date: options.now?.() });
  if (challenge === undefined && options.domain !== undefined && first.domain !== options.domain && !(Array.isArray(first.domain) && first.domain.includes(options.domain))) {
    return { valid: false, error: 'invalid_presentation_proof', details: { message: `The proof's domain is not ${options.domain}` } };
  }
  const result = await jsigs.verify(vp, {
    // Holders may sign with Data Integrity (eddsa-rdfc-2022) or, as the Learner Credential
    // Wallet still does for DID authentication, with Ed25519Signature2020. Credentials are
    // another matter: their proofs are checked by verifyCredential, eddsa-rdfc-2022 only.
    suite: [new DataIntegrityProof({ cryptosuite: eddsaRdfc2022 }), new Ed25519Signature2020()],
    purpose,
    documentLoader: options.documentLoader,
  });
  if (result.verified) return { valid: true, details: { holder, verificationMethod: method } };
  const { code, message } = reasonOf(result.error);
  return { valid: false, error: code && code !== 'invalid_presentation' ? code : 'invalid_presentation_proof', details: { message } };
}

/**
 * Verifies a presentation and each credential in it; `verified` as `presentationVerified`
 * says: a valid (or, when the verifier asked for no challenge or domain, absent) holder
 * proof and every credential verified. Never throws.
 *
 * Presentation errors: `not_an_object`, `not_a_presentation`, `invalid_presentation_context`,
 * `missing_presentation_proof`, `holder_mismatch`, `invalid_presentation_proof`, the
 * document loader's codes, `unsigned` (skipped).
 */
export async function verifyPresentation(presentation: unknown, options: VerifyPresentationOptions): Promise<PresentationReport> {
  if (!presentation || typeof presentation !== 'object' || Array.isArray(presentation)) {
    return { verified: false, presentation: { valid: false, error: 'not_an_object' }, credentials: [] };
  }
  const vp = presentation as Record<string, unknown>;
  const types = Array.isArray(vp.type) ? vp.type : [vp.type];
  if (!types.includes('VerifiablePresentation')) {
    return { verified: false, presentation: { valid: false, error: 'not_a_presentation', details: { message: 'type must include VerifiablePresentation' } }, credentials: [] };
  }
  const inner = vp.verifiableCredential === undefined ? [] : Array.isArray(vp.verifiableCredential) ? vp.verifiableCredential : [vp.verifiableCredential];
  const [holder, credentials] = await Promise.all([
    checkHolderProof(vp, options).catch((error: unknown): HolderResult => {
      // The JSON-LD stack throws on some malformed input; that is a failed proof, by name.
      const { code, message } = reasonOf(error);
      return { valid: false, error: code ?? 'invalid_presentation_proof', details: { message } };
    }),
    Promise.all(inner.map((credential) => verifyCredential(credential, options))),
  ]);
  return { verified: presentationVerified(holder, credentials), presentation: holder, credentials };
}

/**
 * A presentation is verified when its holder proof is valid (or, unasked for, absent) and
 * every credential in it is. `verifiableCredential` is optional (VC 2.0 §4.13): a signed
 * presentation without credentials (DID authentication) is verified by its holder proof
 * alone; an unsigned one with none says nothing and is not verified.
 */
export function presentationVerified(holder: HolderResult, credentials: ReadonlyArray<{ verified: boolean }>): boolean {
  const saysSomething = credentials.length > 0 || !holder.skipped;
  return holder.valid && saysSomething && credentials.every((report) => report.verified);
}
