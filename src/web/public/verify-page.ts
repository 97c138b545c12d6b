/**
 * `/verify`, the page for people (issue 13): paste a credential or choose (or drop) a
 * JSON file, a baked PNG or SVG; the same checks as the API, each explained in one line.
 * A plain form (multipart), so it works without JavaScript; bad input is a message in
 * the page.
 */
import express, { type Router } from 'express';
import { createCredentialRepository } from '../../storage/credential-repository.ts';
import type { VerificationReport } from '../../credentials/verify.ts';
import { exceededVerificationLimit } from '../../credentials/verification-limits.ts';
import { readCredentialFile } from '../../credentials/bake.ts';
import { AppError } from '../../errors.ts';
import { translate, type Locale } from '../i18n.ts';
import type { AppContext } from '../app.ts';
import { credentialContent, credentialState, explainChecks, formatDate } from './credential-view.ts';
import {
  credentialPageUrl,
  isCredentialShaped,
  isPoolBusy,
  retryAfterOf,
  withAnchoringPending,
  type CredentialRoutesDependencies,
  type SubmittedVerification,
} from '../credential-routes.ts';

export function verifyPageRouter(deps: CredentialRoutesDependencies, context: AppContext, submitted: SubmittedVerification): Router {
  const router = express.Router();
  const credentials = createCredentialRepository(deps.db);
  const { verifier, limitRate } = submitted;
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
      report = await withAnchoringPending(deps.db, await verifier().verifyCredential(credential, submitted.sources()));
    } catch (error) {
      if (isPoolBusy(error)) {
        // The same Retry-After as the VC API's: when the queue will have drained, else the deadline.
        res.set('retry-after', String(retryAfterOf(error, submitted.retryAfterSeconds)));
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

  return router;
}
