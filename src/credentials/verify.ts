/**
 * `verifyCredential`: a full, named verification report for an OB 3.0 credential
 * (https://www.imsglobal.org/spec/ob/v3p0/#verification-and-validation), in the style
 * of the DCC verifier: a log of named checks, each `{id, valid, error?}`, returned and
 * never thrown.
 *
 * Checks, in order: `schema` (official OB 3.0 JSON Schema for an Open Badges credential,
 * the VC Data Model 2.0 rules for any other), `signature` (Data
 * Integrity proof, https://www.w3.org/TR/vc-data-integrity/#verify-proof), `issuer_key`
 * (the signing key belongs to the issuer, was valid at `validFrom` and is not revoked;
 * see `checkIssuerKey`), `status`
 * (Bitstring Status List, https://www.w3.org/TR/vc-bitstring-status-list/#validate-algorithm;
 * `@digitalbazaar/vc` alone says `verified: true` for a revoked credential), and
 * `validity_period` (VC 2.0 §4.9), then `anchored_on_chain` (the chain seam),
 * `issuer_registered` (the chain's issuer directory binds the issuer DID to the registry
 * the credential names) and, when trust lists are given, `trust_list`. With a
 * `chainReader`, the issuer's key and the credential's status come from the chain when
 * the DID document or the status list cannot be had (`details.keySource` /
 * `details.source: "chain"`).
 *
 * Error codes in `checks[].error`: `schema_invalid`, `not_an_object`, `invalid_signature`,
 * `missing_proof`, `remote_document_refused`, `unsupported_did_method`, `did_not_found`,
 * `document_not_found`, `signature_error`, `key_not_authorized`, `key_not_valid_at_issuance`,
 * `key_revoked`, `issuer_mismatch`, `revoked`, `suspended`, `status_list_unreachable`,
 * `status_list_invalid`, `unsupported_status_type`, `expired`, `not_yet_valid`,
 * `invalid_dates`, `not_configured`, `no_chain_reference`, `not_anchored`, `anchor_check_failed`,
 * `key_mismatch`, `status_unknown`, `issuer_not_registered`, `registry_not_bound`,
 * `registry_not_in_did_document`, `chain_unreachable`, `not_on_trust_list`, `trust_list_unreachable`.
 */
import { createHash } from 'node:crypto';
import * as vc from '@digitalbazaar/vc';
import jsigs from 'jsonld-signatures';
import { DataIntegrityProof } from '@digitalbazaar/data-integrity';
import { AppError } from '../errors.ts';
import { validateOb3Schema } from './schema.ts';
import { isOpenBadgeCredential, vcDataModelProblems } from './vc-data-model.ts';
import { credentialHash } from './credential-hash.ts';
import { readChainReference } from './chain-reference.ts';
import { didOf, withRevokedKeys, type DidDocument } from './did.ts';
import { DID_V1_CONTEXT, MULTIKEY_V1_CONTEXT } from './contexts.ts';
import type { ChainContractRef, ChainIssuerKey, ChainReader } from './chain-reader.ts';
import { createDocumentLoader } from './document-loader.ts';
import { readStatusBit } from './status-list.ts';
import { messageOf, nestedErrors } from './nested-errors.ts';
import { eddsaRdfc2022 } from './cryptosuite.ts';
import type { DocumentLoader } from './document-loader.ts';

export type { ChainReader } from './chain-reader.ts';

/** What the chain capability is asked (structural: chain never imports credentials). */
export interface AnchorQuery {
  credentialHash: string;
  chainId: number;
  contract: string;
  issuerDid: string;
  verificationMethod: string;
  validFrom: string;
}

/** Implemented by `src/chain/anchor-checker.ts` (`createAnchorChecker`). */
export type AnchorChecker = (query: AnchorQuery) => Promise<{ valid: boolean; error?: string; details?: Record<string, unknown> }>;

/** Fetches a status list credential by URL; throws when it cannot. */
export type StatusListLoader = (url: string) => Promise<unknown>;

export type CheckId =
  | 'schema'
  | 'signature'
  | 'issuer_key'
  | 'status'
  | 'validity_period'
  | 'anchored_on_chain'
  | 'issuer_registered'
  | 'trust_list';

export interface VerificationCheck {
  id: CheckId;
  valid: boolean;
  /** A snake_case code naming why the check failed (or why it was skipped). */
  error?: string;
  /** True when the check did not apply; skipped checks do not count against `verified`. */
  skipped?: boolean;
  details?: Record<string, unknown>;
}

export interface VerificationReport {
  verified: boolean;
  checks: VerificationCheck[];
  /** The credential hash ('0x' + SHA-256 of JCS), when the input was an object. */
  credentialHash?: string;
}

export interface VerifyCredentialOptions {
  /** Offline loader: bundled contexts and DIDs only (see `createDocumentLoader`). */
  documentLoader: DocumentLoader;
  /** The clock; default the system clock. */
  now?: () => Date;
  statusListLoader: StatusListLoader;
  anchorChecker?: AnchorChecker;
  /**
   * Reads the registry the credential names (`src/chain/chain-reader.ts`). With it, the
   * issuer's key comes from the chain when the DID document cannot be had, and the DID
   * document's key must agree with the chain's when both exist.
   */
  chainReader?: ChainReader;
  /**
   * Consortium trust lists (CAIP-10 of `TrustList` contracts) to look the issuer up in:
   * adds the `trust_list` check, which passes when the issuer is a member of at least one.
   */
  trustLists?: ChainContractRef[];
}

const CHECK_ORDER: CheckId[] = ['schema', 'signature', 'issuer_key', 'status', 'validity_period', 'anchored_on_chain', 'issuer_registered'];

const verifySuite = () => new DataIntegrityProof({ cryptosuite: eddsaRdfc2022 });

/** Finds the most specific code or message in the nested errors the JSON-LD stack reports. */
function describeError(error: unknown): { code: string; message: string } {
  let firstMessage = '';
  for (const current of nestedErrors(error)) {
    if (current instanceof AppError) return { code: current.code, message: current.message };
    const message = messageOf(current);
    if (message === null) continue;
    firstMessage ||= message;
    if (/invalid signature/i.test(message)) return { code: 'invalid_signature', message };
  }
  return { code: 'signature_error', message: firstMessage || String(error) };
}

/**
 * The verification method of the issuer's proof: a proof set is unordered
 * (https://www.w3.org/TR/vc-data-integrity/#proof-sets), so the issuer's proof is the one
 * whose key belongs to the issuer wherever it sits; the first proof's when none does.
 */
function issuerProofMethod(credential: Record<string, unknown>): unknown {
  const proofs = proofsOf(credential);
  const issuer = issuerIdOf(credential);
  const own = proofs.find((proof) => typeof proof.verificationMethod === 'string' && issuer !== null && didOf(proof.verificationMethod) === issuer);
  return (own ?? proofs[0])?.verificationMethod;
}

function proofsOf(credential: Record<string, unknown>): Array<Record<string, unknown>> {
  const proof = credential.proof;
  if (!proof) return [];
  return (Array.isArray(proof) ? proof : [proof]).filter((p): p is Record<string, unknown> => !!p && typeof p === 'object');
}

function issuerIdOf(credential: Record<string, unknown>): string | null {
  const issuer = credential.issuer;
  if (typeof issuer === 'string') return issuer;
  if (issuer && typeof issuer === 'object' && typeof (issuer as { id?: unknown }).id === 'string') return (issuer as { id: string }).id;
  return null;
}

function parseDate(value: unknown): Date | null {
  if (typeof value !== 'string') return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** Where the issuer's key came from, read once for the `signature` and `issuer_key` checks. */
interface IssuerResolution {
  issuer: string | null;
  method: string | null;
  document: DidDocument | null;
  keySource: 'did_document' | 'chain' | null;
  /** Why the DID document could not be had. */
  documentError?: { code: string; message: string };
  /** The chain's record of the proof's key (undefined: not asked; null: not registered). */
  chainKey?: ChainIssuerKey | null;
  chainError?: string;
}

/**
 * The one-key DID document the chain vouches for: the registry's record of the proof's
 * key, with its validity in `selloKeyValidity` as Sello's DID documents carry it, and
 * marked revoked (out of `assertionMethod`) when the registry revoked it.
 */
function didDocumentFromChainKey(did: string, method: string, key: ChainIssuerKey): DidDocument {
  const document: DidDocument = {
    '@context': [DID_V1_CONTEXT, MULTIKEY_V1_CONTEXT],
    id: did,
    verificationMethod: [{ id: method, type: 'Multikey', controller: did, publicKeyMultibase: key.publicKeyMultibase }],
    assertionMethod: [method],
    selloKeyValidity: [{ id: method, validFrom: key.validFrom, validUntil: key.validUntil, revoked: key.revokedAt !== null }],
  };
  return key.revokedAt ? withRevokedKeys(document, new Map([[method, new Date(key.revokedAt)]])) : document;
}

/**
 * Resolves the issuer's DID document; when it cannot be had (its domain is gone) and a
 * chain reader is given, falls back to the key the credential's registry holds for the
 * proof's verification method. The chain's key is read whenever it can be, so the
 * `issuer_key` check can require both sources to agree.
 */
async function resolveIssuer(credential: Record<string, unknown>, options: VerifyCredentialOptions): Promise<IssuerResolution> {
  const issuer = issuerIdOf(credential);
  const rawMethod = issuerProofMethod(credential);
  const method = typeof rawMethod === 'string' ? rawMethod : null;
  if (!issuer) return { issuer, method, document: null, keySource: null };
  const reference = readChainReference(credential);
  const chainKeyRead: Promise<{ key?: ChainIssuerKey | null; error?: string }> =
    options.chainReader && reference && method && didOf(method) === issuer
      ? options.chainReader.issuerKey({ ...reference, did: issuer, verificationMethod: method }).then(
          (key) => ({ key }),
          (error: unknown) => ({ error: (error as Error)?.message ?? String(error) }),
        )
      : Promise.resolve({});
  let document: DidDocument | null = null;
  let documentError: IssuerResolution['documentError'];
  try {
    document = (await options.documentLoader(issuer)).document as DidDocument;
  } catch (error) {
    documentError = describeError(error);
  }
  const chain = await chainKeyRead;
  const fromChain = { chainKey: chain.key, ...(chain.error ? { chainError: chain.error } : {}) };
  if (document) return { issuer, method, document, keySource: 'did_document', ...fromChain };
  if (chain.key && method) {
    return { issuer, method, document: didDocumentFromChainKey(issuer, method, chain.key), keySource: 'chain', documentError, ...fromChain };
  }
  return { issuer, method, document: null, keySource: null, documentError, ...fromChain };
}

/** The caller's loader, except that the issuer's DID resolves to the chain's document when that is the key's source. */
function loaderFor(options: VerifyCredentialOptions, resolution: IssuerResolution): DocumentLoader {
  if (resolution.keySource !== 'chain' || !resolution.issuer || !resolution.document) return options.documentLoader;
  const { issuer, document } = resolution;
  const fromChain = createDocumentLoader({ resolveDid: async (did) => (did === issuer ? document : null) });
  return (url) => (url.startsWith('did:') && didOf(url) === issuer ? fromChain(url) : options.documentLoader(url));
}

async function checkSignature(
  credential: Record<string, unknown>,
  options: VerifyCredentialOptions,
  resolution: IssuerResolution,
): Promise<VerificationCheck> {
  const proofs = proofsOf(credential);
  if (proofs.length === 0) return { id: 'signature', valid: false, error: 'missing_proof', details: { message: 'The credential has no proof' } };
  // The library also enforces validFrom/validUntil; those are the `validity_period`
  // check's business, so the signature is checked "as of" the credential's own
  // validFrom. Status is the `status` check's business too.
  const asOf = parseDate(credential.validFrom) ?? options.now?.() ?? new Date();
  const result = await vc.verifyCredential({
    credential,
    suite: verifySuite(),
    documentLoader: loaderFor(options, resolution),
    now: asOf,
    checkStatus: async () => ({ verified: true }),
  });
  const keySource = resolution.keySource ? { keySource: resolution.keySource } : {};
  // The library is satisfied by one verified issuer proof; Data Integrity wants every
  // proof of a set or chain to verify (https://www.w3.org/TR/vc-data-integrity/#proof-sets),
  // or a forged extra proof (a claimed endorsement) would pass unnoticed.
  const others = result.verified && proofs.length > 1 ? await everyProofProblem(credential, proofs, loaderFor(options, resolution)) : null;
  if (others) return { id: 'signature', valid: false, error: others.code, details: { message: others.message, ...keySource } };
  if (result.verified) {
    return { id: 'signature', valid: true, details: { cryptosuite: proofs.map((p) => p.cryptosuite ?? p.type), ...keySource } };
  }
  const { code, message } = describeError(result.error ?? result.results?.find((r) => !r.verified)?.error);
  return { id: 'signature', valid: false, error: code, details: { message, ...keySource } };
}

/**
 * Checks each proof of a set or chain on its own terms: its signature (previous proofs
 * included, for a chain) and its key being authorised for its `proofPurpose` by the
 * key's controller. Null when all verify, else the first failure.
 */
async function everyProofProblem(
  credential: Record<string, unknown>,
  proofs: Array<Record<string, unknown>>,
  documentLoader: DocumentLoader,
): Promise<{ code: string; message: string } | null> {
  const terms = [...new Set(proofs.map((proof) => proof.proofPurpose))];
  let matched = 0;
  for (const term of terms) {
    if (typeof term !== 'string') return { code: 'invalid_signature', message: 'A proof has no proofPurpose' };
    const result = await jsigs.verify(credential, {
      suite: verifySuite(),
      purpose: new jsigs.purposes.ControllerProofPurpose({ term }),
      documentLoader,
    });
    const results = result.results ?? [];
    matched += results.length;
    const failed = result.verified ? results.find((entry) => !entry.verified) : (results.find((entry) => !entry.verified) ?? { error: result.error });
    if (failed) {
      const { code, message } = describeError(failed.error);
      return { code, message: `A proof of the set does not verify: ${message}` };
    }
  }
  if (matched < proofs.length) return { code: 'invalid_signature', message: 'A proof of the set is not a DataIntegrityProof with eddsa-rdfc-2022 and cannot be verified' };
  return null;
}

interface KeyValidity {
  id: string;
  validFrom: string;
  validUntil: string | null;
  revoked: boolean;
}

/**
 * The `issuer_key` check: the proof's key is a key of the issuer, authorised for
 * assertions, valid at the credential's `validFrom` (Sello's `selloKeyValidity`: credentials
 * dated before a rotation keep verifying with the key it closed), and not revoked.
 *
 * A revoked key (`revoked` on its verification method,
 * https://www.w3.org/TR/cid-1.0/#verification-methods, or `selloKeyValidity[].revoked`)
 * fails every credential it signed, whatever their `validFrom`. The spec only asks
 * verifiers to refuse proofs made at or after the revocation, but neither `validFrom`
 * nor the proof's `created` says when a proof was made: both are written by whoever holds
 * the key, and a key is revoked because someone else may hold it. A key retired in good
 * standing is closed by rotation instead, which keeps its credentials verifying. The
 * chain registry agrees (`isIssuerKeyValidAt` is false at every moment for a revoked key).
 *
 * The key comes from the DID document, or from the credential's registry when the
 * document cannot be had (`details.keySource`); when both exist they must hold the same
 * public key (`key_mismatch`), and a revocation in either counts.
 *
 * Errors: `missing_proof`, `issuer_mismatch`, `key_mismatch`, `key_revoked`, `key_not_authorized`,
 * `key_not_valid_at_issuance`, and the document loader's codes.
 */
async function checkIssuerKey(credential: Record<string, unknown>, resolution: IssuerResolution): Promise<VerificationCheck> {
  const { issuer, method } = resolution;
  if (!issuer || typeof method !== 'string') {
    return { id: 'issuer_key', valid: false, error: 'missing_proof', details: { message: 'No issuer or no verification method' } };
  }
  if (didOf(method) !== issuer) {
    return {
      id: 'issuer_key',
      valid: false,
      error: 'issuer_mismatch',
      details: { message: `The proof's key ${method} does not belong to the issuer ${issuer}`, verificationMethod: method, issuer },
    };
  }
  const document = resolution.document;
  if (!document) {
    const { code, message } = resolution.documentError ?? { code: 'did_not_found', message: `Cannot resolve ${issuer}` };
    const chain = resolution.chainError ? { chainError: resolution.chainError } : resolution.chainKey === null ? { chainKey: 'not_registered' } : {};
    return { id: 'issuer_key', valid: false, error: code, details: { message, issuer, ...chain } };
  }
  const listed = (document.verificationMethod ?? []).find((vm) => vm.id === method);
  const authorised = (document.assertionMethod ?? []).some((vm) => (typeof vm === 'string' ? vm : (vm as { id?: string }).id) === method);
  const validity = (Array.isArray(document.selloKeyValidity) ? (document.selloKeyValidity as KeyValidity[]) : []).find(
    (entry) => entry.id === method,
  );
  const chainKey = resolution.chainKey;
  const details: Record<string, unknown> = {
    issuer,
    verificationMethod: method,
    keySource: resolution.keySource,
    ...(resolution.keySource === 'chain' && resolution.documentError ? { didDocumentError: resolution.documentError.code } : {}),
    ...(validity ? { keyValidity: validity } : {}),
    ...(listed?.revoked ? { revoked: listed.revoked } : {}),
  };
  // Both sources exist: they must name the same public key, or one of them is not the issuer's.
  if (resolution.keySource === 'did_document' && chainKey && listed && chainKey.publicKeyMultibase !== listed.publicKeyMultibase) {
    return {
      id: 'issuer_key',
      valid: false,
      error: 'key_mismatch',
      details: {
        ...details,
        chainPublicKeyMultibase: chainKey.publicKeyMultibase,
        didDocumentPublicKeyMultibase: listed.publicKeyMultibase,
        message: 'The DID document and the chain registry hold different public keys for this key id',
      },
    };
  }
  if (listed?.revoked || validity?.revoked || chainKey?.revokedAt) {
    return { id: 'issuer_key', valid: false, error: 'key_revoked', details: { ...details, message: 'The issuer revoked this key' } };
  }
  if (!listed || !authorised) {
    return { id: 'issuer_key', valid: false, error: 'key_not_authorized', details: { ...details, message: 'The key is not an assertion method of the issuer' } };
  }
  const issuedAt = parseDate(credential.validFrom);
  if (validity && issuedAt) {
    const from = parseDate(validity.validFrom);
    const until = validity.validUntil ? parseDate(validity.validUntil) : null;
    if ((from && issuedAt < from) || (until && issuedAt >= until)) {
      return {
        id: 'issuer_key',
        valid: false,
        error: 'key_not_valid_at_issuance',
        details: { ...details, message: `The key was not valid at validFrom (${credential.validFrom})` },
      };
    }
  }
  return { id: 'issuer_key', valid: true, details };
}

function statusEntriesOf(credential: Record<string, unknown>): Array<Record<string, unknown>> {
  const status = credential.credentialStatus;
  if (!status) return [];
  return (Array.isArray(status) ? status : [status]).filter((s): s is Record<string, unknown> => !!s && typeof s === 'object');
}

/**
 * Sello keeps one `credentialStatus` entry per credential (the OB 3.0 schema allows
 * one), for revocation; its suspension list is the sibling list at the same index,
 * `…-revocation` → `…-suspension`. Other issuers' lists have no sibling.
 */
export function suspensionSiblingOf(url: string): string | null {
  return /-revocation$/.test(url) ? url.replace(/-revocation$/, '-suspension') : null;
}

// A status list object already verified (same object, same loader) is not verified
// again: a loader that caches its lists makes bulk verification ~2x faster. Keyed by
// object identity, so a freshly fetched list is always verified.
const listVerifications = new WeakMap<object, WeakMap<DocumentLoader, Promise<{ verified: boolean; error?: unknown }>>>();

/**
 * Lists verified, by content: the list's JSON and its issuer's DID document as loaded for
 * this verification. A verification worker gets each list as a new object (and a new
 * loader) per job, so without this every credential check verified its two lists' signatures
 * again: three signatures per credential instead of one. Any change to the list (a bit
 * set) or to the issuer's keys (rotation, revocation) is another key; only successes are
 * kept, and only for lists without `validUntil` already valid at the caller's `now`.
 */
export const MAX_VERIFIED_LISTS = 64;
const verifiedListContents = new Set<string>();
// The content key of a list object checked against an issuer document object, by identity:
// a worker's answer cache hands every job the same list and DID document objects while
// their sources' versions hold (a change brings new objects), and writing out a list's
// JSON and hashing it cost a verification more than reading its bits (issue 15).
const listContentKeys = new WeakMap<object, WeakMap<object, string>>();

async function listContentKey(list: Record<string, unknown>, options: VerifyCredentialOptions): Promise<string | null> {
  const validFrom = parseDate(list.validFrom);
  const now = options.now?.() ?? new Date();
  if (!validFrom || validFrom > now || list.validUntil !== undefined || list.expirationDate !== undefined) return null;
  const issuer = issuerIdOf(list);
  if (!issuer) return null;
  try {
    const issuerDocument = (await options.documentLoader(issuer)).document;
    let byDocument = listContentKeys.get(list);
    if (!byDocument) {
      byDocument = new WeakMap();
      listContentKeys.set(list, byDocument);
    }
    let key = byDocument.get(issuerDocument);
    if (key === undefined) {
      key = createHash('sha256').update(JSON.stringify(list)).update('\n').update(JSON.stringify(issuerDocument)).digest('hex');
      byDocument.set(issuerDocument, key);
    }
    return key;
  } catch {
    return null;
  }
}

async function verifyListOnce(list: Record<string, unknown>, options: VerifyCredentialOptions): Promise<{ verified: boolean; error?: unknown }> {
  const key = await listContentKey(list, options);
  if (key && verifiedListContents.has(key)) return { verified: true };
  const result = await vc.verifyCredential({ credential: list, suite: verifySuite(), documentLoader: options.documentLoader, now: options.now?.() ?? new Date() });
  if (key && result.verified) {
    verifiedListContents.add(key);
    if (verifiedListContents.size > MAX_VERIFIED_LISTS) verifiedListContents.delete(verifiedListContents.values().next().value!);
  }
  return result;
}

/** How many list verifications are remembered by content (tests). */
export function verifiedListCount(): number {
  return verifiedListContents.size;
}

function verifiedList(list: Record<string, unknown>, options: VerifyCredentialOptions) {
  let byLoader = listVerifications.get(list);
  if (!byLoader) {
    byLoader = new WeakMap();
    listVerifications.set(list, byLoader);
  }
  let result = byLoader.get(options.documentLoader);
  if (!result) {
    result = verifyListOnce(list, options);
    byLoader.set(options.documentLoader, result);
  }
  return result;
}

async function readListBit(params: {
  url: string;
  index: number;
  purpose: string;
  issuer: string | null;
  options: VerifyCredentialOptions;
}): Promise<{ ok: true; set: boolean } | { ok: false; error: string; message: string }> {
  let listCredential: unknown;
  try {
    listCredential = await params.options.statusListLoader(params.url);
  } catch (error) {
    return { ok: false, error: 'status_list_unreachable', message: `Cannot load status list ${params.url}: ${(error as Error).message}` };
  }
  if (!listCredential || typeof listCredential !== 'object') {
    return { ok: false, error: 'status_list_invalid', message: `${params.url} is not a status list credential` };
  }
  const list = listCredential as Record<string, unknown>;
  const subject = list.credentialSubject as Record<string, unknown> | undefined;
  if (issuerIdOf(list) !== params.issuer) {
    return { ok: false, error: 'status_list_invalid', message: 'The status list is not signed by the credential issuer' };
  }
  if (!subject || subject.type !== 'BitstringStatusList' || typeof subject.encodedList !== 'string') {
    return { ok: false, error: 'status_list_invalid', message: `${params.url} is not a BitstringStatusList credential` };
  }
  const purposes = Array.isArray(subject.statusPurpose) ? subject.statusPurpose : [subject.statusPurpose];
  if (!purposes.includes(params.purpose)) {
    return { ok: false, error: 'status_list_invalid', message: `The list's purpose is not ${params.purpose}` };
  }
  const listVerified = await verifiedList(list, params.options);
  if (!listVerified.verified) {
    return { ok: false, error: 'status_list_invalid', message: `The status list signature does not verify: ${describeError(listVerified.error).message}` };
  }
  try {
    return { ok: true, set: await readStatusBit({ encodedList: subject.encodedList, index: params.index }) };
  } catch (error) {
    return { ok: false, error: 'status_list_invalid', message: (error as Error).message };
  }
}

/**
 * The `status` check from the credential's registry, for when a status list cannot be
 * fetched (the issuer's server is gone): revocation and suspension as the chain holds
 * them, read at one block (`details.source: "chain"`, `blockNumber`). A credential whose
 * status neither the list nor the chain can give is `status_unknown`, never "revoked".
 */
async function statusFromChain(
  credential: Record<string, unknown>,
  hash: string,
  options: VerifyCredentialOptions,
  listFailure: { message: string; statusListCredential: string },
): Promise<VerificationCheck> {
  const reference = readChainReference(credential);
  if (!options.chainReader || !reference) {
    return { id: 'status', valid: false, error: 'status_list_unreachable', details: listFailure };
  }
  let status: Awaited<ReturnType<ChainReader['credentialStatus']>>;
  try {
    status = await options.chainReader.credentialStatus({ ...reference, credentialHash: hash });
  } catch (error) {
    return {
      id: 'status',
      valid: false,
      error: 'status_unknown',
      details: {
        listError: 'status_list_unreachable',
        statusListCredential: listFailure.statusListCredential,
        chainError: (error as Error)?.message ?? String(error),
        message: 'Neither the status list nor the chain can say whether this credential is revoked or suspended',
      },
    };
  }
  const details: Record<string, unknown> = {
    source: 'chain',
    chainId: reference.chainId,
    contract: reference.contract,
    blockNumber: status.blockNumber,
    listError: 'status_list_unreachable',
    revoked: status.revoked,
    suspended: status.suspended,
  };
  if (status.revoked) {
    return {
      id: 'status',
      valid: false,
      error: 'revoked',
      details: { ...details, reason: status.reason, revokedAt: status.revokedAt, message: 'The issuer has revoked this credential (on chain)' },
    };
  }
  if (status.suspended) {
    return {
      id: 'status',
      valid: false,
      error: 'suspended',
      details: { ...details, suspendedAt: status.suspendedAt, message: 'The issuer has suspended this credential (on chain)' },
    };
  }
  if (status.suspended === null) {
    return {
      id: 'status',
      valid: false,
      error: 'status_unknown',
      details: { ...details, message: 'The status list is unreachable and this registry records revocation but not suspension' },
    };
  }
  return { id: 'status', valid: true, details };
}

async function checkStatus(credential: Record<string, unknown>, hash: string, options: VerifyCredentialOptions): Promise<VerificationCheck> {
  const entries = statusEntriesOf(credential);
  if (entries.length === 0) return { id: 'status', valid: true, skipped: true, error: 'no_status', details: { message: 'The credential declares no status' } };
  const issuer = issuerIdOf(credential);
  const details: Record<string, unknown> = {};
  for (const entry of entries) {
    if (entry.type !== 'BitstringStatusListEntry') {
      return { id: 'status', valid: false, error: 'unsupported_status_type', details: { type: entry.type } };
    }
    const url = entry.statusListCredential;
    const index = Number(entry.statusListIndex);
    const purpose = String(entry.statusPurpose);
    if (typeof url !== 'string' || !Number.isInteger(index) || !['revocation', 'suspension'].includes(purpose)) {
      return { id: 'status', valid: false, error: 'status_list_invalid', details: { message: 'Malformed BitstringStatusListEntry' } };
    }
    const lists: Array<[string, string]> = [[purpose, url]];
    const sibling = purpose === 'revocation' ? suspensionSiblingOf(url) : null;
    if (sibling) lists.push(['suspension', sibling]);
    for (const [listPurpose, listUrl] of lists) {
      const bit = await readListBit({ url: listUrl, index, purpose: listPurpose, issuer, options });
      if (!bit.ok && bit.error === 'status_list_unreachable') {
        return statusFromChain(credential, hash, options, { message: bit.message, statusListCredential: listUrl });
      }
      if (!bit.ok) return { id: 'status', valid: false, error: bit.error, details: { message: bit.message, statusListCredential: listUrl } };
      details[listPurpose === 'revocation' ? 'revoked' : 'suspended'] = bit.set;
      if (bit.set) {
        const error = listPurpose === 'revocation' ? 'revoked' : 'suspended';
        return { id: 'status', valid: false, error, details: { ...details, message: `The issuer has ${error} this credential` } };
      }
    }
  }
  return { id: 'status', valid: true, details };
}

/**
 * VC 2.0 §4.9 (https://www.w3.org/TR/vc-data-model-2.0/#validity-period): `validFrom` and
 * `validUntil` are both optional; when present they must be dateTimeStamps. OB 3.0
 * requires `validFrom`, but that is the `schema` check's finding, not this one's.
 */
function checkValidityPeriod(credential: Record<string, unknown>, now: Date): VerificationCheck {
  const from = credential.validFrom === undefined ? null : parseDate(credential.validFrom);
  const until = credential.validUntil === undefined ? null : parseDate(credential.validUntil);
  if ((credential.validFrom !== undefined && !from) || (credential.validUntil !== undefined && !until)) {
    return { id: 'validity_period', valid: false, error: 'invalid_dates', details: { message: 'validFrom / validUntil are not XSD dateTimes' } };
  }
  const details = { now: now.toISOString(), validFrom: credential.validFrom ?? null, validUntil: credential.validUntil ?? null };
  if (from && now < from) return { id: 'validity_period', valid: false, error: 'not_yet_valid', details };
  if (until && now >= until) return { id: 'validity_period', valid: false, error: 'expired', details };
  return { id: 'validity_period', valid: true, details };
}

async function checkAnchor(credential: Record<string, unknown>, hash: string, options: VerifyCredentialOptions): Promise<VerificationCheck> {
  const reference = readChainReference(credential);
  const notCounted = { countsTowardVerified: false };
  if (!reference) {
    return { id: 'anchored_on_chain', valid: true, skipped: true, error: 'no_chain_reference', details: { ...notCounted, message: 'The credential names no chain' } };
  }
  if (!options.anchorChecker) {
    return {
      id: 'anchored_on_chain',
      valid: true,
      skipped: true,
      error: 'not_configured',
      details: { ...notCounted, message: 'No chain RPC configured for this verification', chainId: reference.chainId, contract: reference.contract },
    };
  }
  const method = issuerProofMethod(credential);
  try {
    const result = await options.anchorChecker({
      credentialHash: hash,
      chainId: reference.chainId,
      contract: reference.contract,
      issuerDid: issuerIdOf(credential) ?? '',
      verificationMethod: typeof method === 'string' ? method : '',
      validFrom: String(credential.validFrom ?? ''),
    });
    return {
      id: 'anchored_on_chain',
      valid: result.valid,
      ...(result.valid ? {} : { error: result.error ?? 'not_anchored' }),
      details: { chainId: reference.chainId, contract: reference.contract, ...(result.details ?? {}) },
    };
  } catch (error) {
    return { id: 'anchored_on_chain', valid: false, error: 'anchor_check_failed', details: { message: (error as Error).message } };
  }
}

/** The registries (CAIP-10) a DID document names in its `service` entries of type `SelloCredentialRegistry`. */
export function registriesNamedBy(document: DidDocument | null): string[] {
  const services = Array.isArray(document?.service) ? (document!.service as Array<Record<string, unknown>>) : [];
  return services
    .filter((service) => service && service.type === SELLO_REGISTRY_SERVICE_TYPE)
    .flatMap((service) => (Array.isArray(service.serviceEndpoint) ? service.serviceEndpoint : [service.serviceEndpoint]))
    .filter((endpoint): endpoint is string => typeof endpoint === 'string');
}

/** The DID document `service` type naming a Sello registry (`serviceEndpoint`: CAIP-10). */
export const SELLO_REGISTRY_SERVICE_TYPE = 'SelloCredentialRegistry';

/**
 * The `issuer_registered` check: the registry the credential names is the one the
 * chain's issuer directory binds to the credential's issuer DID (first claim wins; only
 * the DID's controller moves it). A second registry claiming the same DID, under the
 * same did:web or with a copied DID document, fails it. While the issuer's DID document
 * can be had, it must name that registry too when it names registries on that chain.
 *
 * Errors: `issuer_not_registered`, `registry_not_bound`, `registry_not_in_did_document`,
 * `chain_unreachable`. Skipped (not counted) without a chain reference or a chain reader.
 */
async function checkIssuerRegistered(credential: Record<string, unknown>, options: VerifyCredentialOptions, resolution: IssuerResolution): Promise<VerificationCheck> {
  const reference = readChainReference(credential);
  const notCounted = { countsTowardVerified: false };
  if (!reference) {
    return { id: 'issuer_registered', valid: true, skipped: true, error: 'no_chain_reference', details: { ...notCounted, message: 'The credential names no chain' } };
  }
  if (!options.chainReader) {
    return {
      id: 'issuer_registered',
      valid: true,
      skipped: true,
      error: 'not_configured',
      details: { ...notCounted, message: 'No chain RPC configured for this verification' },
    };
  }
  const issuer = issuerIdOf(credential);
  if (!issuer) return { id: 'issuer_registered', valid: false, error: 'missing_issuer', details: { message: 'The credential names no issuer' } };
  const registry = `eip155:${reference.chainId}:${reference.contract}`;
  let binding: Awaited<ReturnType<ChainReader['issuerBinding']>>;
  try {
    binding = await options.chainReader.issuerBinding({ chainId: reference.chainId, did: issuer });
  } catch (error) {
    return { id: 'issuer_registered', valid: false, error: 'chain_unreachable', details: { message: (error as Error)?.message ?? String(error) } };
  }
  if (!binding) {
    return {
      id: 'issuer_registered',
      valid: false,
      error: 'issuer_not_registered',
      details: { issuer, registry, message: `No registry is bound to ${issuer} in the issuer directory of chain ${reference.chainId}` },
    };
  }
  const details: Record<string, unknown> = {
    issuer,
    registry,
    directory: binding.directory,
    boundRegistry: `eip155:${reference.chainId}:${binding.registry}`,
    controller: binding.controller,
    boundAt: binding.boundAt,
    blockNumber: binding.blockNumber,
  };
  if (binding.registry.toLowerCase() !== reference.contract.toLowerCase()) {
    return {
      id: 'issuer_registered',
      valid: false,
      error: 'registry_not_bound',
      details: { ...details, message: `${issuer} is bound to registry ${binding.registry} since ${binding.boundAt}, not to the registry this credential names` },
    };
  }
  if (resolution.keySource === 'did_document') {
    const named = registriesNamedBy(resolution.document).filter((entry) => entry.startsWith(`eip155:${reference.chainId}:`));
    if (named.length > 0 && !named.some((entry) => entry.toLowerCase() === registry.toLowerCase())) {
      return {
        id: 'issuer_registered',
        valid: false,
        error: 'registry_not_in_did_document',
        details: { ...details, didDocumentRegistries: named, message: "The issuer's DID document names another registry on this chain" },
      };
    }
    details.didDocument = named.length > 0 ? 'names_registry' : 'silent';
  }
  return { id: 'issuer_registered', valid: true, details };
}

/**
 * The `trust_list` check, run only when trust lists are given: the issuer DID is a
 * member of at least one of them (`details.memberOf`: the lists' names).
 */
async function checkTrustLists(credential: Record<string, unknown>, options: VerifyCredentialOptions): Promise<VerificationCheck> {
  const issuer = issuerIdOf(credential);
  if (!options.chainReader) {
    return { id: 'trust_list', valid: false, error: 'not_configured', details: { message: 'Trust lists are read from a chain: give an RPC endpoint' } };
  }
  if (!issuer) return { id: 'trust_list', valid: false, error: 'missing_issuer', details: { message: 'The credential names no issuer' } };
  const reader = options.chainReader;
  const entries = await Promise.all(
    (options.trustLists ?? []).map((list) =>
      reader.trustListEntry({ ...list, did: issuer }).then(
        (entry) => ({ ...entry }),
        (error: unknown) => ({ list: `eip155:${list.chainId}:${list.contract}`, error: (error as Error)?.message ?? String(error) }),
      ),
    ),
  );
  const memberOf = entries.flatMap((entry) => ('member' in entry && entry.member ? [entry.name] : []));
  const details = { issuer, memberOf, lists: entries };
  if (memberOf.length > 0) return { id: 'trust_list', valid: true, details: { ...details, message: `Member of: ${memberOf.join(', ')}` } };
  const unreadable = entries.every((entry) => 'error' in entry);
  return {
    id: 'trust_list',
    valid: false,
    error: unreadable ? 'trust_list_unreachable' : 'not_on_trust_list',
    details: { ...details, message: unreadable ? 'No trust list could be read' : `${issuer} is on none of the trust lists given` },
  };
}

/**
 * The `schema` check: the official OB 3.0 JSON Schema for an Open Badges credential
 * (`OpenBadgeCredential` / `AchievementCredential`); the VC Data Model 2.0 rules
 * (`vc-data-model.ts`) for any other credential, which no OB schema describes.
 */
function credentialSchemaResult(doc: Record<string, unknown>): ReturnType<typeof validateOb3Schema> {
  if (isOpenBadgeCredential(doc)) return validateOb3Schema(doc);
  const problems = vcDataModelProblems(doc, { signed: true });
  return { valid: problems.length === 0, errors: problems.map((problem) => `${problem.path || '/'}: ${problem.message}`) };
}

/**
 * Verifies a credential. Never throws: anything wrong, input included, is a failing
 * check. `verified` is true only when every check that applies passes; skipped checks
 * (no chain configured, no status declared) do not count.
 */
export async function verifyCredential(credential: unknown, options: VerifyCredentialOptions): Promise<VerificationReport> {
  const now = options.now?.() ?? new Date();
  if (!credential || typeof credential !== 'object' || Array.isArray(credential)) {
    const checks = CHECK_ORDER.map((id) => ({ id, valid: false, error: 'not_an_object', details: { message: 'The input is not a JSON object' } }));
    return { verified: false, checks };
  }
  const doc = credential as Record<string, unknown>;
  let hash: string;
  let schema: ReturnType<typeof validateOb3Schema>;
  try {
    hash = credentialHash(doc);
    schema = credentialSchemaResult(doc);
  } catch (error) {
    // Input no verifier can walk (nesting deep enough to overflow the stack): every check fails by name.
    const { code, message } = describeError(error);
    return { verified: false, checks: CHECK_ORDER.map((id) => ({ id, valid: false, error: code, details: { message } })) };
  }
  const checks: VerificationCheck[] = [
    schema.valid ? { id: 'schema', valid: true } : { id: 'schema', valid: false, error: 'schema_invalid', details: { errors: schema.errors } },
  ];
  const safely = async (id: CheckId, run: () => Promise<VerificationCheck>): Promise<VerificationCheck> => {
    try {
      return await run();
    } catch (error) {
      // A check that throws is a bug or a hostile input; either way it failed, by name.
      const { code, message } = describeError(error);
      return { id, valid: false, error: code, details: { message } };
    }
  };
  const resolution = await resolveIssuer(doc, options).catch(
    (error: unknown): IssuerResolution => ({ issuer: issuerIdOf(doc), method: null, document: null, keySource: null, documentError: describeError(error) }),
  );
  const [signature, issuerKey, status] = await Promise.all([
    safely('signature', () => checkSignature(doc, options, resolution)),
    safely('issuer_key', () => checkIssuerKey(doc, resolution)),
    safely('status', () => checkStatus(doc, hash, options)),
  ]);
  checks.push(signature, issuerKey, status, checkValidityPeriod(doc, now));
  const [anchored, registered, trusted] = await Promise.all([
    safely('anchored_on_chain', () => checkAnchor(doc, hash, options)),
    safely('issuer_registered', () => checkIssuerRegistered(doc, options, resolution)),
    options.trustLists?.length ? safely('trust_list', () => checkTrustLists(doc, options)) : null,
  ]);
  checks.push(anchored, registered);
  if (trusted) checks.push(trusted);
  // Skipped checks report valid: true, so they never count against the result.
  const verified = checks.every((check) => check.valid);
  return { verified, checks, credentialHash: hash };
}
