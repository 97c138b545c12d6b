/**
 * What the credentials' HTTP faces share: the VC API (`vc-api/credentials.ts`), the public
 * credential page (`public/credential-page.ts`) and the `/verify` page
 * (`public/verify-page.ts`). Verification on this server reads this deployment's DIDs and
 * status lists from its database, and what anyone submits is verified in one worker pool
 * behind one rate limit, whichever page or API it came through.
 */
import type express from 'express';
import type { Database } from '../storage/database.ts';
import { createCredentialRepository, type StoredCredential } from '../storage/credential-repository.ts';
import { findCredentialAnchor } from '../storage/anchor-batch-repository.ts';
import { CredentialError } from '../credentials/errors.ts';
import type { AnchorChecker, ChainReader, VerificationReport, VerifyCredentialOptions } from '../credentials/verify.ts';
import { createConfiguredVerificationPool, mayBeAnchoringPending, type VerificationPool, type VerificationSources } from '../credentials/verification-pool.ts';
import type { VerificationCache } from '../credentials/verification-cache.ts';
import { exceededVerificationLimit } from '../credentials/verification-limits.ts';
import { createDocumentLoader } from '../credentials/document-loader.ts';
import type { ChainReference } from '../credentials/chain-reference.ts';
import { getStatusListCredential } from '../issuance/credential-status.ts';
import type { IssuerKeyProvider } from '../issuance/issuer-keys.ts';
import { AppError } from '../errors.ts';
import type { Config } from '../config.ts';
import { rateLimit } from './rate-limit.ts';
import { freshRead } from '../credentials/fresh-read.ts';
import { readVerificationFingerprint } from '../storage/verification-fingerprint.ts';

export interface CredentialRoutesDependencies {
  db: Database;
  keys: IssuerKeyProvider;
  publicUrl: string;
  adminToken: string;
  /** Issuer used by `POST /credentials/issue` when the request names none. */
  defaultIssuerId: string;
  /** Where new credentials are anchored; null when no chain is configured. */
  chainReference: () => ChainReference | null;
  anchorChecker?: AnchorChecker;
  /**
   * Reads the chain for the checks that need it beyond the anchor (`issuer_registered`;
   * keys and status of credentials whose issuer's DID or status list this server cannot
   * read). Without it those checks are skipped.
   */
  chainReader?: ChainReader;
  /**
   * The chain's state as a short string that changes with every block (chain id, block
   * number and hash: `chain/chain-version.ts`), or null when the chain cannot say:
   * verification workers reuse chain answers (anchors, keys, revocations on chain) only
   * within one block.
   */
  chainVersion?: () => Promise<string | null>;
  now?: () => Date;
  /**
   * Where submitted credentials and presentations are verified; by default a pool
   * started with the app's `verification` settings, its workers started at the first
   * request (`src/server.ts` passes one it warms and closes).
   */
  verificationPool?: VerificationPool;
  /** Where the public page keeps verification reports between views; one per router by default. */
  verificationCache?: VerificationCache<VerificationReport>;
  /**
   * Who the visitor of a public page is, when their browser carries a learner session
   * (`learner/recipient-session.ts`): their user id, else null. The page offers "Add to
   * wallet" to the credential's recipient only. Absent = the page is the same for everyone.
   */
  recipientOf?: (req: express.Request) => Promise<string | null>;
  /** Where the public page keeps its rendered HTML per credential and locale; one per router by default. */
  pageCache?: VerificationCache<RenderedCredentialPage>;
}

/** A rendered public credential page, its entity tag (a digest of the HTML) and when it was verified. */
export interface RenderedCredentialPage {
  html: string;
  etag: string;
  verifiedAt: Date;
}

/**
 * `urn:uuid:<uuid>` from a route parameter holding either the bare uuid or the full id.
 * Express has already percent-decoded it once; decoding again would read `%25` as an
 * escape (and throw on a bare `%`).
 */
export function credentialIdFromPath(segment: string): string | null {
  const uuid = /^(?:urn:uuid:)?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i.exec(segment)?.[1];
  return uuid ? `urn:uuid:${uuid.toLowerCase()}` : null;
}

/** The page URL of a credential (what the gradebook comment and the QR code link to). */
export function credentialPageUrl(publicUrl: string, credentialId: string): string {
  return `${publicUrl}/credentials/${credentialId.replace(/^urn:uuid:/, '')}`;
}

/** The stored credential a route parameter names, or `credential_not_found`. */
export async function loadCredential(db: Database, segment: string): Promise<StoredCredential> {
  const id = credentialIdFromPath(segment);
  const found = id ? await createCredentialRepository(db).findById(id) : null;
  if (!found) throw new CredentialError('credential_not_found', 'No credential with this id', { id: segment });
  return found;
}

/**
 * Verification options for this server: DIDs and status lists of this deployment from
 * its database; other issuers' did:web and status lists are not fetched by the server
 * (that would let anyone make it call arbitrary URLs); `sello verify` does that.
 */
export function localVerifyOptions(
  deps: Pick<CredentialRoutesDependencies, 'db' | 'keys' | 'publicUrl' | 'anchorChecker' | 'chainReader' | 'now'>,
): VerifyCredentialOptions {
  const { resolveDid, ...sources } = localVerifySources(deps);
  return { ...sources, documentLoader: createDocumentLoader({ resolveDid }) };
}

/**
 * The same as `localVerifyOptions`, in the form a verification worker takes: the DID
 * resolver instead of a document loader (the worker builds its own loader from the
 * bundled contexts and asks this thread for DIDs, status lists and the chain).
 */
export function localVerifySources(
  deps: Pick<CredentialRoutesDependencies, 'db' | 'keys' | 'publicUrl' | 'anchorChecker' | 'chainReader' | 'now'>,
): VerificationSources {
  const prefix = `${deps.publicUrl}/status/`;
  return {
    resolveDid: deps.keys.resolveDid,
    now: deps.now,
    anchorChecker: deps.anchorChecker,
    ...(deps.chainReader ? { chainReader: deps.chainReader } : {}),
    statusListLoader: async (url) => {
      if (!url.startsWith(prefix)) {
        throw new Error(`this server reads only its own status lists (${prefix}…); use "sello verify" for other issuers`);
      }
      return getStatusListCredential({ db: deps.db, keys: deps.keys, publicUrl: deps.publicUrl, listId: url.slice(prefix.length), now: deps.now });
    },
  };
}

function hasType(value: unknown, type: string): value is Record<string, unknown> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
  const types = (value as { type?: unknown }).type;
  return Array.isArray(types) ? types.includes(type) : types === type;
}

/** An object that says it is a credential: anything less is not one at all (400), not a failed check (422). */
export const isCredentialShaped = (value: unknown) => hasType(value, 'VerifiableCredential');
export const isPresentationShaped = (value: unknown) => hasType(value, 'VerifiablePresentation');

/**
 * On Sello's own server, a credential that Sello's records show queued for anchoring
 * (issued here, its batch not yet anchored) is reported as pending rather than failing:
 * that is the first minutes of every credential, and the page says the same. Only the
 * `not_anchored` answer is softened, and only for a credential with this exact hash in
 * Sello's records; `sello verify`, which has no records, stays strict.
 */
export async function withAnchoringPending(db: Database, report: VerificationReport): Promise<VerificationReport> {
  if (!mayBeAnchoringPending(report)) return report;
  const anchorCheck = report.checks.find((check) => check.id === 'anchored_on_chain')!;
  const stored = await createCredentialRepository(db).findByHash(report.credentialHash!);
  if (!stored) return report;
  const anchor = await findCredentialAnchor(db, report.credentialHash!);
  if (anchor?.status === 'anchored') return report;
  const pending: VerificationReport['checks'][number] = {
    id: 'anchored_on_chain',
    valid: true,
    skipped: true,
    error: 'anchoring_pending',
    details: {
      ...anchorCheck.details,
      pending: true,
      countsTowardVerified: false,
      batch: anchor ? { id: anchor.batchId, status: anchor.status } : null,
      message: 'Sello has queued this credential for anchoring; its batch is not on chain yet',
    },
  };
  const checks = report.checks.map((check) => (check === anchorCheck ? pending : check));
  return { ...report, checks, verified: checks.every((check) => check.valid) };
}

/**
 * Verification of submitted input, shared by the VC API and the `/verify` page: one
 * worker pool (started at the first request unless the server passes one), one
 * per-client rate limit, the size limits, and `retry-after` on a busy or timed-out pool.
 */
/** How old a chain block read may be when a verification reuses chain answers (see `createSubmittedVerification`). */
export const CHAIN_VERSION_MAX_STALENESS_MS = 1000;

/**
 * How far apart the reads of the verification fingerprint start (see `freshRead`): under
 * a 50-connection load it was read back to back, 0.6 reads per verified answer, and each
 * read cost the event loop a socket write that wakes PostgreSQL (0.16 ms on a 2-core VM)
 * and PostgreSQL 0.2 ms of the same cores. Spaced, the requests that arrive within 5 ms
 * share one read; a request after a quiet spell reads at once (bench/JOURNAL.md, issue 15).
 */
export const FINGERPRINT_MIN_INTERVAL_MS = 5;

export interface SubmittedVerification {
  verifier: () => VerificationPool;
  /**
   * `localVerifySources` with the versions of this deployment's sources, read fresh for
   * each job and shared between concurrent requests (`freshRead`), so the workers answer
   * DIDs, status lists and chain reads from their caches until one of them changes.
   */
  sources: () => VerificationSources;
  limitRate: express.RequestHandler;
  refuseOversized: (input: unknown, kind: 'credential' | 'presentation') => void;
  inPool: <T>(res: express.Response, run: () => Promise<T>) => Promise<T>;
  retryAfterSeconds: number;
}

export function createSubmittedVerification(deps: CredentialRoutesDependencies, config: Readonly<Config>): SubmittedVerification {
  const settings = config.verification;
  let pool = deps.verificationPool ?? null;
  const retryAfterSeconds = Math.max(1, Math.ceil(settings.timeoutMs / 1000));
  const createPool = () => createConfiguredVerificationPool(settings);
  const fingerprint = freshRead(() => readVerificationFingerprint(deps.db), { minIntervalMs: FINGERPRINT_MIN_INTERVAL_MS });
  // The database is read strictly fresh: a key or credential revoked here is refused at
  // the next request (the read a request waits for starts after it arrived, at most
  // FINGERPRINT_MIN_INTERVAL_MS later). A chain node's state is itself seen with a delay (other parties'
  // transactions, a block time); reading its block at most once a second keeps the main
  // thread from spending itself on block numbers under load.
  const chainVersion = deps.chainVersion ? freshRead(deps.chainVersion, { maxStalenessMs: CHAIN_VERSION_MAX_STALENESS_MS }) : null;
  const versions = async (): Promise<Record<string, string | null>> => {
    const [database, chain] = await Promise.all([fingerprint(), chainVersion?.().catch(() => null) ?? null]);
    return { resolveDid: database.dids, statusListLoader: database.statusLists, anchorChecker: chain, chainReader: chain };
  };
  // One object for every request: the pool works out its remote functions once per object.
  let sources: VerificationSources | null = null;
  return {
    sources: () => (sources ??= { ...localVerifySources(deps), versions }),
    verifier: () => (pool ??= createPool()),
    limitRate: rateLimit({ perMinute: settings.rateLimitPerMinute }),
    refuseOversized: (input, kind) => {
      const exceeded = exceededVerificationLimit(input, kind);
      if (exceeded) throw new CredentialError('verification_input_too_large', exceeded.message, { ...exceeded });
    },
    inPool: async (res, run) => {
      try {
        // At capacity, refused before anything is spent on the request (versions read, cloning to a worker).
        const refusal = (pool ??= createPool()).refusal();
        if (refusal) throw refusal;
        return await run();
      } catch (error) {
        if (isPoolBusy(error)) res.set('retry-after', String(retryAfterOf(error, retryAfterSeconds)));
        throw error;
      }
    },
    retryAfterSeconds,
  };
}

/**
 * The Retry-After, in seconds, for one of the pool's refusals: a refusal at capacity says
 * when the queue will have drained; a timeout (no such estimate), `fallbackSeconds` (the deadline).
 */
export function retryAfterOf(error: unknown, fallbackSeconds: number): number {
  const retryAfterMs = error instanceof AppError ? error.details?.retryAfterMs : undefined;
  return typeof retryAfterMs === 'number' ? Math.max(1, Math.ceil(retryAfterMs / 1000)) : fallbackSeconds;
}

/** The pool's own refusals: a deadline passed or no worker free. */
export const isPoolBusy = (error: unknown): boolean =>
  error instanceof AppError && (error.code === 'verification_timeout' || error.code === 'verification_unavailable');
