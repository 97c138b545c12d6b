/**
 * Courses over the admin API (bearer `ADMIN_TOKEN`):
 *
 * - `POST /admin/api/contexts/:id/sync` syncs one course now (roster, activities,
 *   grades and completions from every source it has) and answers the sync report with
 *   the course's award counts. `:id` is Sello's context id or the LMS's course id.
 * - `GET /admin/api/contexts/:id` → `{context, awards}` (what `sello sync --wait` polls).
 *
 * `sello sync` calls this when a Sello answers, so it works while the server holds the
 * embedded database.
 */
import { Router } from 'express';
import type { Database } from '../../storage/database.ts';
import { createAwardRepository } from '../../storage/award-repository.ts';
import { createJobRepository } from '../../storage/job-repository.ts';
import type { OutcomeContext } from '../../storage/outcome-repository.ts';
import type { SyncContextReport } from '../../outcomes/sync-context.ts';
import { resolveCourse } from '../../outcomes/resolve-course.ts';
import { requireAdminToken } from './auth.ts';

export interface AdminContextsRouterDependencies {
  db: Database;
  adminToken: string;
  /** The running issuance's "sync this course now". */
  syncNow: (contextId: string) => Promise<SyncContextReport>;
}

const describe = (context: OutcomeContext) => ({
  id: context.id,
  platformId: context.platformId,
  lmsContextId: context.lmsContextId,
  title: context.title,
  lastSyncedAt: context.lastSyncedAt,
});

export function adminContextsRouter({ db, adminToken, syncNow }: AdminContextsRouterDependencies): Router {
  const router = Router();
  const admin = requireAdminToken(adminToken);
  const awards = createAwardRepository(db);
  const jobs = createJobRepository(db);

  router.get('/admin/api/contexts/:id', admin, async (req, res) => {
    const context = await resolveCourse(db, String(req.params.id));
    res.json({ context: describe(context), awards: await awards.countByState({ contextId: context.id }), jobs: await jobs.counts() });
  });

  router.post('/admin/api/contexts/:id/sync', admin, async (req, res) => {
    const context = await resolveCourse(db, String(req.params.id));
    const report = await syncNow(context.id);
    res.json({ context: describe(context), ...report, awards: await awards.countByState({ contextId: context.id }) });
  });
  return router;
}
