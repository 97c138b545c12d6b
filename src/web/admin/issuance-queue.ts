/**
 * `/admin/queue`: the issuance jobs that stopped (parked with a reason, or out of
 * attempts), with a retry button each; the same retry as `POST /api/issuance/jobs/:id/retry`.
 */
import { Router, type Request, type Response } from 'express';
import type { Queryable } from '../../storage/database.ts';
import { createJobRepository } from '../../storage/job-repository.ts';
import { formatDateTime, formatLocalNumber, translate, type Locale } from '../i18n.ts';
import { redirectDone, renderAdminPage, type AdminPageContext } from './admin-page.ts';

const REASONS = new Set(['recipient_unreachable', 'criteria_invalid', 'credential_invalid']);

export function adminQueueRouter({ db, poke, context }: { db: Queryable; poke?: () => void; context: AdminPageContext }): Router {
  const router = Router();
  const jobs = createJobRepository(db);
  const requireSession = context.session.require();

  /** The queue page; after a refused retry, with its problem and a 4xx status. */
  const show = async (req: Request, res: Response, refused: { status: number; problem: string } | null = null) => {
    const locale = res.locals.locale as Locale;
    const counts = await jobs.counts();
    const failed = await jobs.listFailed();
    renderAdminPage(context, req, res, {
      page: 'admin-queue',
      section: 'queue',
      titleKey: 'admin.queue.title',
      data: {
        counts: (['queued', 'running', 'failed'] as const).map((state) => ({ label: translate(locale, `admin.queue.count.${state}`), value: formatLocalNumber(counts[state], locale) })),
        jobs: failed.map((job) => {
          const reason = job.parkedReason && REASONS.has(job.parkedReason) ? job.parkedReason : 'attempts_exhausted';
          return {
            id: job.id,
            kind: translate(locale, `admin.queue.kind.${job.kind}`),
            attempts: job.attempts,
            reason: translate(locale, `admin.queue.reason.${reason}`),
            lastError: job.lastError,
            since: formatDateTime(job.updatedAt, locale),
          };
        }),
        problem: refused?.problem ?? null,
      },
      status: refused?.status,
    });
  };
  router.get('/admin/queue', requireSession, (req, res) => show(req, res));

  router.post('/admin/queue/:id/retry', requireSession, async (req, res) => {
    const id = String(req.params.id);
    if (/^\d{1,15}$/.test(id) && (await jobs.retry(Number(id)))) {
      poke?.();
      redirectDone(res, '/admin/queue', 'retried');
      return;
    }
    // Retried by someone else meanwhile, or no such job: the queue as it is now, saying so.
    await show(req, res, { status: 404, problem: translate(res.locals.locale as Locale, 'admin.queue.gone') });
  });
  return router;
}
