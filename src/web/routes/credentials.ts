/**
 * The credentials' HTTP face: the W3C VC API shapes (https://w3c-ccg.github.io/vc-api/)
 * for issue and verify, the credential as JSON-LD, baked badges, the public
 * verification page, and the admin status endpoint (revoke / suspend / unsuspend).
 */
import express, { type Request, type Router } from 'express';
import QRCode from 'qrcode';
import { z } from 'zod';
import type { Database } from '../../storage/database.ts';
import { createCredentialRepository, type StoredCredential } from '../../storage/credential-repository.ts';
import { createAchievementRepository } from '../../storage/achievement-repository.ts';
import { createUserRepository } from '../../storage/user-repository.ts';
import { createIssuerRepository } from '../../storage/issuer-repository.ts';
import { findCredentialAnchor, type CredentialAnchorRecord } from '../../storage/anchor-batch-repository.ts';
import { createContextRepository } from '../../storage/context-repository.ts';
import { createStatusListRepository } from '../../storage/status-list-repository.ts';
import { createVerificationCache, type VerificationCache } from '../../credentials/verification-cache.ts';
import { credentialContent, credentialState, explainChecks, formatDate, safeUrl } from './credential-page.ts';
import { HttpError } from '../../errors.ts';
import { CredentialError } from '../../credentials/errors.ts';
import { verifyCredential, type AnchorChecker, type ChainReader, type VerificationReport, type VerifyCredentialOptions } from '../../credentials/verify.ts';
import { createVerificationPool, type VerificationPool, type VerificationSources } from '../../credentials/verification-pool.ts';
import { exceededVerificationLimit } from '../../credentials/verification-limits.ts';
import { AppError } from '../../errors.ts';
import { rateLimit } from '../rate-limit.ts';
import { createDocumentLoader } from '../../credentials/document-loader.ts';
import { bakePng, bakeSvg, readCredentialFile } from '../../credentials/bake.ts';
import { generateBadgeSvg, renderBadgePng } from '../../credentials/badge-image.ts';
import { readChainReference, type ChainReference } from '../../credentials/chain-reference.ts';
import { issueSubmittedCredential } from '../../issuance/issue-submitted-credential.ts';
import { getStatusListCredential, setCredentialStatus } from '../../issuance/credential-status.ts';
import type { IssuerKeyProvider } from '../../issuance/issuer-keys.ts';
import { requireAdminToken } from '../admin-auth.ts';
import { translate, type Locale } from '../i18n.ts';
import type { AppContext } from '../app.ts';

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
  now?: () => Date;
  /**
   * Where submitted credentials and presentations are verified; by default a pool
   * started with the app's `verification` settings, its workers started at the first
   * request (`src/server.ts` passes one it warms and closes).
   */
  verificationPool?: VerificationPool;
  /** Where the public page keeps verification reports between views; one per router by default. */
  verificationCache?: VerificationCache<VerificationReport>;
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

const recipientSchema = z
  .object({ userId: z.string().uuid().optional(), email: z.string().email().optional(), name: z.string().min(1).max(200).optional(), did: z.string().regex(/^did:[a-z0-9]+:.+/).optional() })
  .strict();

const dateTimeStamp = z.string().datetime({ offset: true });

/**
 * The request body. The credential is checked by `issueSubmittedCredential` (VC Data
 * Model rules, each with its own code); `options` are the VC API's
 * (https://w3c-ccg.github.io/vc-api/#issue-credential) plus Sello's, and nothing else,
 * so a misspelt option is refused rather than ignored.
 */
const issueBodySchema = z.object({
  credential: z.record(z.string(), z.unknown()).optional(),
  options: z
    .object({
      created: dateTimeStamp.optional(),
      credentialId: z.string().url().max(2000).optional(),
      challenge: z.string().max(1000).optional(),
      domain: z.string().max(1000).optional(),
      mandatoryPointers: z.array(z.string().max(1000)).max(100).optional(),
      credentialStatus: z.object({ type: z.string().min(1).max(200) }).passthrough().optional(),
      achievementId: z.string().uuid().optional(),
      recipient: recipientSchema.optional(),
      validFrom: dateTimeStamp.optional(),
      validUntil: dateTimeStamp.optional(),
      evidence: z.array(z.object({ id: z.string().url().optional(), name: z.string().optional(), narrative: z.string().optional(), description: z.string().optional() }).strict()).max(20).optional(),
    })
    .strict()
    .optional(),
});

/**
 * True when the only thing missing is the anchor of a credential that Sello has queued
 * (no batch yet, or its batch not yet anchored): the first minutes after issuance.
 */
function isAnchoringPending(report: VerificationReport, anchor: { status: string } | null, hasChainReference: boolean): boolean {
  if (!hasChainReference || anchor?.status === 'anchored') return false;
  const anchorCheck = report.checks.find((check) => check.id === 'anchored_on_chain');
  const othersPass = report.checks.every((check) => check.id === 'anchored_on_chain' || check.valid || check.skipped);
  return Boolean(anchorCheck && !anchorCheck.valid && anchorCheck.error === 'not_anchored' && othersPass);
}

function hasType(value: unknown, type: string): value is Record<string, unknown> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
  const types = (value as { type?: unknown }).type;
  return Array.isArray(types) ? types.includes(type) : types === type;
}

/** An object that says it is a credential: anything less is not one at all (400), not a failed check (422). */
const isCredentialShaped = (value: unknown) => hasType(value, 'VerifiableCredential');
const isPresentationShaped = (value: unknown) => hasType(value, 'VerifiablePresentation');

const presentationOptionsSchema = z.object({ challenge: z.string().max(1000).optional(), domain: z.string().max(1000).optional() }).passthrough();

/**
 * On Sello's own server, a credential that Sello's records show queued for anchoring
 * (issued here, its batch not yet anchored) is reported as pending rather than failing:
 * that is the first minutes of every credential, and the page says the same. Only the
 * `not_anchored` answer is softened, and only for a credential with this exact hash in
 * Sello's records; `sello verify`, which has no records, stays strict.
 */
async function withAnchoringPending(db: Database, report: VerificationReport): Promise<VerificationReport> {
  const anchorCheck = report.checks.find((check) => check.id === 'anchored_on_chain');
  if (!anchorCheck || anchorCheck.valid || anchorCheck.error !== 'not_anchored' || !report.credentialHash) return report;
  const stored = await createCredentialRepository(db).findByHash(report.credentialHash);
  if (!stored) return report;
  const anchor = await findCredentialAnchor(db, report.credentialHash);
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

function badgeImageOf(document: Record<string, unknown>): string | null {
  const achievement = (document.credentialSubject as { achievement?: { image?: { id?: string } } } | undefined)?.achievement;
  return achievement?.image?.id ?? null;
}

function namesOf(document: Record<string, unknown>) {
  const subject = (document.credentialSubject ?? {}) as Record<string, unknown>;
  const achievement = (subject.achievement ?? {}) as Record<string, unknown>;
  const issuer = (typeof document.issuer === 'object' && document.issuer ? document.issuer : {}) as Record<string, unknown>;
  return {
    achievementName: String(achievement.name ?? document.name ?? 'Badge'),
    achievementDescription: String(achievement.description ?? ''),
    criteria: String(((achievement.criteria ?? {}) as Record<string, unknown>).narrative ?? ''),
    recipientName: typeof subject.name === 'string' ? subject.name : null,
    issuerName: String(issuer.name ?? ''),
    issuerUrl: typeof issuer.url === 'string' ? issuer.url : null,
    issuerId: String(issuer.id ?? document.issuer ?? ''),
  };
}

/**
 * The router (built with the app's page renderer). Errors: those of
 * `issueSubmittedCredential` for `POST /credentials/issue`, and `invalid_request`,
 * `invalid_credential`, `invalid_presentation`, `unauthorized`, `credential_not_found`,
 * `achievement_not_found`, `status_change_conflict`, `payload_too_large`, `invalid_json`.
 */
export function credentialsRouter(deps: CredentialRoutesDependencies): (context: AppContext) => Router {
  return (context) => {
    const router = express.Router();
    const admin = requireAdminToken(deps.adminToken);
    const credentials = createCredentialRepository(deps.db);

    const load = async (segment: string): Promise<StoredCredential> => {
      const id = credentialIdFromPath(segment);
      const found = id ? await credentials.findById(id) : null;
      if (!found) throw new CredentialError('credential_not_found', 'No credential with this id', { id: segment });
      return found;
    };

    // Page views reuse a report while nothing it depends on has changed (see
    // verification-cache.ts): the status bits, the anchoring batch, the issuer's DID
    // document (a revoked or rotated key) and the clock against validFrom/validUntil.
    const cache = deps.verificationCache ?? createVerificationCache<VerificationReport>({ now: deps.now });
    const now = () => deps.now?.() ?? new Date();
    const verifyStored = async (stored: StoredCredential, anchor: CredentialAnchorRecord | null): Promise<VerificationReport> => {
      const status = await credentials.findStatus(stored.id);
      const issuerDid = credentialContent(stored.document).issuerId;
      const didDocument = issuerDid.startsWith('did:') ? await deps.keys.resolveDid(issuerDid.split('#')[0]!).catch(() => null) : null;
      const fingerprint = JSON.stringify({
        status: status ? [status.revoked, status.suspended] : null,
        anchor: anchor ? [anchor.status, anchor.txHash, anchor.blockNumber] : null,
        did: didDocument,
      });
      const cached = cache.get(stored.id, fingerprint);
      if (cached) return cached;
      const report = await verifyCredential(stored.document, localVerifyOptions(deps));
      const instants = [stored.document.validFrom, stored.document.validUntil]
        .map((value) => (typeof value === 'string' ? new Date(value) : null))
        .filter((date): date is Date => date !== null && !Number.isNaN(date.getTime()) && date.getTime() > now().getTime());
      const until = instants.length > 0 ? new Date(Math.min(...instants.map((date) => date.getTime()))) : null;
      cache.set(stored.id, fingerprint, report, until);
      return report;
    };

    router.post('/credentials/issue', admin, async (req, res) => {
      const parsed = issueBodySchema.safeParse(req.body ?? {});
      if (!parsed.success) {
        throw new HttpError('invalid_request', 'The body must be {credential, options} (VC API) as described in the README', {
          problems: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`),
        });
      }
      const { credential = {}, options = {} } = parsed.data;
      const stored = await issueSubmittedCredential({
        db: deps.db,
        keys: deps.keys,
        publicUrl: deps.publicUrl,
        chainReference: deps.chainReference(),
        defaultIssuerId: deps.defaultIssuerId,
        now: deps.now,
        credential,
        options,
      });
      res.location(credentialPageUrl(deps.publicUrl, stored.id));
      res.status(201).json({ verifiableCredential: stored.document });
    });

    // VC API verifier answers (https://w3c-ccg.github.io/vc-api/#verify-credential):
    // 200 with the report when verified, 400 when the input is not a credential or
    // presentation at all, 422 with the same report when it is one and a check fails.
    // Verification of what anyone may send runs in worker threads with a deadline, behind
    // size limits and a per-client rate limit: one request must not stall the server.
    const settings = context.config.verification;
    let pool = deps.verificationPool ?? null;
    const verifier = () => (pool ??= createVerificationPool({ size: settings.workers ?? undefined, deadlineMs: settings.timeoutMs }));
    const limitRate = rateLimit({ perMinute: settings.rateLimitPerMinute });
    const refuseOversized = (input: unknown, kind: 'credential' | 'presentation') => {
      const exceeded = exceededVerificationLimit(input, kind);
      if (exceeded) throw new CredentialError('verification_input_too_large', exceeded.message, { ...exceeded });
    };
    const inPool = async <T>(res: express.Response, run: () => Promise<T>): Promise<T> => {
      try {
        return await run();
      } catch (error) {
        if (error instanceof AppError && (error.code === 'verification_timeout' || error.code === 'verification_unavailable')) {
          res.set('retry-after', String(Math.max(1, Math.ceil(settings.timeoutMs / 1000))));
        }
        throw error;
      }
    };

    router.post('/credentials/verify', limitRate, async (req, res) => {
      const credential = (req.body as { verifiableCredential?: unknown } | undefined)?.verifiableCredential;
      if (!isCredentialShaped(credential)) {
        throw new CredentialError('invalid_credential', 'The body must be {"verifiableCredential": {…}} with a credential object whose type includes VerifiableCredential');
      }
      refuseOversized(credential, 'credential');
      const report = await withAnchoringPending(deps.db, await inPool(res, () => verifier().verifyCredential(credential, localVerifySources(deps))));
      // A 422 carries a code like every other 4xx of Sello, beside the report.
      res.status(report.verified ? 200 : 422).json(report.verified ? report : { code: 'credential_not_verified', message: 'A check failed; see checks', ...report });
    });

    // The page for people (issue 13): paste a credential or choose (or drop) a JSON file,
    // a baked PNG or SVG; the same checks as the API, each explained in one line. A plain
    // form (multipart), so it works without JavaScript; bad input is a message in the page.
    const renderVerify = (res: express.Response, status: number, data: Record<string, unknown>) => {
      const locale = res.locals.locale as Locale;
      res.status(status).type('html').send(context.pages.render('verify', { title: translate(locale, 'verify.title'), ...data }, locale));
    };
    router.get('/verify', (_req, res) => renderVerify(res, 200, {}));
    router.post('/verify', limitRate, express.raw({ type: 'multipart/form-data', limit: context.config.bodyLimit }), async (req, res) => {
      const locale = res.locals.locale as Locale;
      const fail = (key: string, pasted = '') => renderVerify(res, 400, { error: translate(locale, key), pasted });
      let bytes: Buffer | null = null;
      let pasted = '';
      if (Buffer.isBuffer(req.body)) {
        // The platform's own multipart reader (undici's), not a hand-rolled one.
        const form = await new Request('http://sello.invalid/', { method: 'POST', headers: { 'content-type': String(req.headers['content-type']) }, body: req.body })
          .formData()
          .catch(() => null);
        if (!form) return fail('verify.error.unreadable');
        const file = form.get('file');
        pasted = typeof form.get('credential') === 'string' ? String(form.get('credential')) : '';
        if (file && typeof file !== 'string' && file.size > 0) bytes = Buffer.from(await file.arrayBuffer());
      } else if (req.body && typeof (req.body as { credential?: unknown }).credential === 'string') {
        pasted = (req.body as { credential: string }).credential;
      }
      if (!bytes && pasted.trim()) bytes = Buffer.from(pasted.trim(), 'utf8');
      if (!bytes) return fail('verify.error.empty', pasted);
      let credential: unknown;
      try {
        credential = readCredentialFile(bytes);
      } catch (error) {
        const code = error instanceof AppError ? error.code : 'invalid_credential';
        return fail(code === 'invalid_baked_image' ? 'verify.error.not_baked' : 'verify.error.not_credential', pasted.slice(0, 20000));
      }
      if (!isCredentialShaped(credential)) return fail('verify.error.not_credential', pasted.slice(0, 20000));
      if (exceededVerificationLimit(credential, 'credential')) return fail('verify.error.too_large');
      let report: VerificationReport;
      try {
        report = await withAnchoringPending(deps.db, await verifier().verifyCredential(credential, localVerifySources(deps)));
      } catch (error) {
        if (error instanceof AppError && (error.code === 'verification_timeout' || error.code === 'verification_unavailable')) {
          res.set('retry-after', String(Math.max(1, Math.ceil(settings.timeoutMs / 1000))));
          return renderVerify(res, 503, { error: translate(locale, 'verify.error.busy'), pasted: pasted.slice(0, 20000) });
        }
        throw error;
      }
      const document = credential as Record<string, unknown>;
      const content = credentialContent(document);
      const stored = report.credentialHash ? await credentials.findByHash(report.credentialHash) : null;
      const state = credentialState(report, false);
      renderVerify(res, report.verified ? 200 : 422, {
        result: {
          ...content,
          state,
          verified: state === 'valid' || state === 'pending',
          banner: translate(locale, `cred.banner.${state}`),
          checks: explainChecks(report, locale, false),
          validFromText: formatDate(document.validFrom, locale),
          validUntilText: formatDate(document.validUntil, locale),
          pageUrl: stored ? credentialPageUrl(deps.publicUrl, stored.id) : null,
          fromElsewhere: !stored,
        },
      });
    });

    router.post('/presentations/verify', limitRate, async (req, res) => {
      const body = req.body as { verifiablePresentation?: unknown; options?: unknown } | undefined;
      const presentation = body?.verifiablePresentation;
      if (!isPresentationShaped(presentation)) {
        throw new CredentialError('invalid_presentation', 'The body must be {"verifiablePresentation": {…}} with a presentation whose type includes VerifiablePresentation');
      }
      const options = presentationOptionsSchema.safeParse(body?.options ?? {});
      if (!options.success) {
        throw new CredentialError('invalid_presentation', 'options.challenge and options.domain must be strings', {
          problems: options.error.issues.map((issue) => `options.${issue.path.join('.')}: ${issue.message}`),
        });
      }
      refuseOversized(presentation, 'presentation');
      const report = await inPool(res, () =>
        verifier().verifyPresentation(presentation, { ...localVerifySources(deps), challenge: options.data.challenge, domain: options.data.domain }),
      );
      const credentials = await Promise.all(report.credentials.map((inner) => withAnchoringPending(deps.db, inner)));
      const verified = report.presentation.valid && credentials.length > 0 && credentials.every((inner) => inner.verified);
      res.status(verified ? 200 : 422).json({ ...(verified ? {} : { code: 'presentation_not_verified', message: 'The holder proof or a credential failed; see presentation and credentials' }), ...report, verified, credentials });
    });

    router.post('/admin/api/credentials/:ref/status', admin, async (req, res) => {
      const body = (req.body ?? {}) as { action?: unknown; purpose?: unknown; value?: unknown; reason?: unknown };
      const actions: Record<string, { purpose: 'revocation' | 'suspension'; value: boolean }> = {
        revoke: { purpose: 'revocation', value: true },
        suspend: { purpose: 'suspension', value: true },
        unsuspend: { purpose: 'suspension', value: false },
      };
      const change: { purpose: 'revocation' | 'suspension'; value: boolean } | undefined =
        typeof body.action === 'string'
          ? actions[body.action]
          : (body.purpose === 'revocation' || body.purpose === 'suspension') && typeof body.value === 'boolean'
            ? { purpose: body.purpose, value: body.value }
            : undefined;
      if (!change) throw new HttpError('invalid_request', 'Give {"action": "revoke"|"suspend"|"unsuspend", "reason": "…"}');
      if (typeof body.reason !== 'string' || !body.reason.trim()) throw new HttpError('invalid_request', 'A reason is required');
      const stored = await load(String(req.params.ref));
      const result = await deps.db.transaction((tx) =>
        setCredentialStatus({ db: tx, credentialId: stored.id, purpose: change.purpose, value: change.value, reason: String(body.reason), actor: 'admin' }),
      );
      res.json({ credentialId: result.credentialId, purpose: result.purpose, value: result.value, changed: result.changed });
    });

    router.get('/credentials/:ref/badge.svg', async (req, res) => {
      const stored = await load(String(req.params.ref));
      const image = badgeImageOf(stored.document);
      const names = namesOf(stored.document);
      const svg = image?.startsWith('data:image/svg+xml;base64,')
        ? Buffer.from(image.slice('data:image/svg+xml;base64,'.length), 'base64').toString('utf8')
        : generateBadgeSvg({ achievementName: names.achievementName, issuerName: names.issuerName });
      res.type('image/svg+xml').set('content-disposition', `inline; filename="badge.svg"`).send(bakeSvg({ svg, credential: stored.document }));
    });

    router.get('/credentials/:ref/badge.png', async (req, res) => {
      const stored = await load(String(req.params.ref));
      const names = namesOf(stored.document);
      const png = renderBadgePng({ achievementName: names.achievementName, issuerName: names.issuerName, image: badgeImageOf(stored.document) });
      res.type('image/png').set('content-disposition', `inline; filename="badge.png"`).send(bakePng({ png, credential: stored.document }));
    });

    router.get('/credentials/:ref', async (req: Request, res) => {
      const ref = String(req.params.ref);
      if (ref.endsWith('.json')) {
        const stored = await load(ref.slice(0, -'.json'.length));
        res.type('application/ld+json').set('content-disposition', 'inline; filename="credential.json"').send(JSON.stringify(stored.document, null, 2));
        return;
      }
      const stored = await load(ref);
      const locale = res.locals.locale as Locale;
      const anchor = await findCredentialAnchor(deps.db, stored.hash).catch(() => null);
      const report = await verifyStored(stored, anchor);
      const content = credentialContent(stored.document);
      const pageUrl = credentialPageUrl(deps.publicUrl, stored.id);
      const reference = readChainReference(stored.document);
      const anchoringPending = isAnchoringPending(report, anchor, reference !== null);
      const state = credentialState(report, anchoringPending);
      const shareable = state === 'valid' || state === 'pending';
      const issuer = await createIssuerRepository(deps.db).findById(stored.issuerId);
      const achievement = stored.achievementId ? await createAchievementRepository(deps.db).findById(stored.achievementId) : null;
      // The learner decides whether this public page names them (their setting, /app/learner).
      const recipient = stored.recipientUserId ? await createUserRepository(deps.db).findById(stored.recipientUserId) : null;
      const showRecipientName = recipient?.showNamePublicly ?? true;
      const course = achievement?.contextId ? await createContextRepository(deps.db).findById(achievement.contextId) : null;
      const institution = {
        name: issuer?.name || content.issuerName,
        url: safeUrl(issuer?.url) ?? content.issuerUrl,
        image: issuer?.imageUrl ?? content.issuerImage,
      };
      // The reason and date of the status change the banner names.
      const events = state === 'revoked' || state === 'suspended' ? await createStatusListRepository(deps.db).listEvents(stored.id) : [];
      const purpose = state === 'revoked' ? 'revocation' : 'suspension';
      const event = [...events].reverse().find((e) => e.purpose === purpose && e.value) ?? null;
      const linkedIn = new URL('https://www.linkedin.com/profile/add');
      // A VC 2.0 credential may have no validFrom; Sello's record has its issuance time then.
      const validFrom = stored.document.validFrom === undefined ? stored.validFrom : new Date(String(stored.document.validFrom));
      linkedIn.search = new URLSearchParams({
        startTask: 'CERTIFICATION_NAME',
        name: content.achievementName,
        organizationName: institution.name,
        issueYear: String(validFrom.getUTCFullYear()),
        issueMonth: String(validFrom.getUTCMonth() + 1),
        certUrl: pageUrl,
        certId: stored.id,
      }).toString();
      const explorer = context.config.chain.explorerUrl;
      const txHash = anchor?.txHash ?? null;
      const pngUrl = `${pageUrl}/badge.png`;
      const description = translate(locale, 'cred.og.description', { achievement: content.achievementName, issuer: institution.name });
      res.type('html').send(
        context.pages.render(
          'credential',
          {
            title: content.achievementName,
            meta: [
              { property: 'og:type', content: 'website' },
              { property: 'og:title', content: content.achievementName },
              { property: 'og:description', content: description },
              { property: 'og:image', content: pngUrl },
              { property: 'og:image:alt', content: content.achievementName },
              { property: 'og:url', content: pageUrl },
              { property: 'og:site_name', content: institution.name },
              { name: 'twitter:card', content: 'summary_large_image' },
              { name: 'twitter:title', content: content.achievementName },
              { name: 'twitter:description', content: description },
              { name: 'twitter:image', content: pngUrl },
              { name: 'description', content: description },
            ],
            ...content,
            recipientName: showRecipientName ? content.recipientName : null,
            institution,
            course: course?.title ?? null,
            state,
            stateBanner: translate(locale, `cred.banner.${state}`),
            stateDetail: event
              ? translate(locale, `cred.banner.${state}_detail`, { date: formatDate(event.at, locale) ?? '', reason: event.reason ?? '' })
              : state === 'expired'
                ? translate(locale, 'cred.banner.expired_detail', { date: formatDate(stored.document.validUntil, locale) ?? '' })
                : null,
            verified: state === 'valid' || state === 'pending',
            shareable,
            checks: explainChecks(report, locale, anchoringPending),
            credentialId: stored.id,
            hash: stored.hash,
            validFrom: validFrom.toISOString(),
            validFromText: formatDate(validFrom, locale),
            validUntil: stored.document.validUntil ?? null,
            validUntilText: formatDate(stored.document.validUntil, locale),
            anchor: anchor ?? null,
            anchorStatusText: anchor ? translate(locale, `cred.anchor.state.${anchor.status}`) : null,
            txUrl: explorer && txHash ? `${explorer}/tx/${txHash}` : null,
            contractUrl: explorer && anchor ? `${explorer}/address/${anchor.contractAddress}` : null,
            chainReference: reference ? `eip155:${reference.chainId}:${reference.contract}` : null,
            pageUrl,
            jsonUrl: `${pageUrl}.json`,
            pngUrl,
            svgUrl: `${pageUrl}/badge.svg`,
            linkedInUrl: linkedIn.toString(),
            qrSvg: shareable ? await QRCode.toString(pageUrl, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' }) : null,
          },
          locale,
        ),
      );
    });
    return router;
  };
}
