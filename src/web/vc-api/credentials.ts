/**
 * The W3C VC API (https://w3c-ccg.github.io/vc-api/): `POST /credentials/issue`,
 * `POST /credentials/verify`, `POST /presentations/verify`, and the admin status endpoint
 * (revoke / suspend / unsuspend).
 */
import express, { type Router } from 'express';
import { z } from 'zod';
import { HttpError } from '../../errors.ts';
import { CredentialError } from '../../credentials/errors.ts';
import { issueSubmittedCredential } from '../../issuance/issue-submitted-credential.ts';
import { setCredentialStatus } from '../../issuance/credential-status.ts';
import { presentationVerified } from '../../credentials/verify-presentation.ts';
import type { VerificationInputJson } from '../../credentials/verification-pool.ts';
import { requireAdminToken } from '../admin/auth.ts';
import {
  credentialPageUrl,
  isCredentialShaped,
  isPresentationShaped,
  loadCredential,
  withAnchoringPending,
  type CredentialRoutesDependencies,
  type SubmittedVerification,
} from '../credential-routes.ts';

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

const presentationOptionsSchema = z.object({ challenge: z.string().max(1000).optional(), domain: z.string().max(1000).optional() }).passthrough();

/** A 422 carries a code like every other 4xx of Sello, beside the report. */
const NOT_VERIFIED = { code: 'credential_not_verified', message: 'A check failed; see checks' } as const;
/** `NOT_VERIFIED` as the start of a JSON object, ready for the report's members (`{"verified":…`) to follow. */
const NOT_VERIFIED_JSON_PREFIX = `${JSON.stringify(NOT_VERIFIED).slice(0, -1)},`;

/** The request body's bytes (see `buildApp`), for the worker to parse `member` from itself. */
function bodyJson(res: express.Response, member: string): VerificationInputJson | undefined {
  const bytes = res.locals.jsonBodyBytes as Uint8Array | undefined;
  return bytes ? { bytes, member } : undefined;
}

/**
 * Errors: those of `issueSubmittedCredential` for `POST /credentials/issue`, and
 * `invalid_request`, `invalid_credential`, `invalid_presentation`, `unauthorized`,
 * `credential_not_found`, `status_change_conflict`, `verification_input_too_large`,
 * `verification_timeout`, `verification_unavailable`.
 */
export function vcApiRouter(deps: CredentialRoutesDependencies, submitted: SubmittedVerification): Router {
  const router = express.Router();
  const admin = requireAdminToken(deps.adminToken);
  const { verifier, sources, limitRate, refuseOversized, inPool } = submitted;

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
  router.post('/credentials/verify', limitRate, async (req, res) => {
    const credential = (req.body as { verifiableCredential?: unknown } | undefined)?.verifiableCredential;
    if (!isCredentialShaped(credential)) {
      throw new CredentialError('invalid_credential', 'The body must be {"verifiableCredential": {…}} with a credential object whose type includes VerifiableCredential');
    }
    refuseOversized(credential, 'credential');
    const answer = await inPool(res, () => verifier().verifyCredentialAnswer(credential, sources(), bodyJson(res, 'verifiableCredential')));
    if (answer.json === undefined) {
      const report = await withAnchoringPending(deps.db, answer.report);
      res.status(report.verified ? 200 : 422).json(report.verified ? report : { ...NOT_VERIFIED, ...report });
      return;
    }
    // The worker's JSON text of the report, sent as `res.json` would send the report: a
    // report has no `code` or `message` of its own, so the 422's text is the same bytes as
    // `JSON.stringify({ ...NOT_VERIFIED, ...report })`.
    res
      .status(answer.verified ? 200 : 422)
      .type('application/json')
      .send(answer.verified ? answer.json : `${NOT_VERIFIED_JSON_PREFIX}${answer.json.slice(1)}`);
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
      verifier().verifyPresentation(presentation, { ...sources(), challenge: options.data.challenge, domain: options.data.domain }, bodyJson(res, 'verifiablePresentation')),
    );
    const credentials = await Promise.all(report.credentials.map((inner) => withAnchoringPending(deps.db, inner)));
    const verified = presentationVerified(report.presentation, credentials);
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
    const stored = await loadCredential(deps.db, String(req.params.ref));
    const result = await deps.db.transaction((tx) =>
      setCredentialStatus({ db: tx, credentialId: stored.id, purpose: change.purpose, value: change.value, reason: String(body.reason), actor: 'admin' }),
    );
    res.json({ credentialId: result.credentialId, purpose: result.purpose, value: result.value, changed: result.changed });
  });

  return router;
}
