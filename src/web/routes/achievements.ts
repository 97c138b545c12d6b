/**
 * Issuance administration over JSON (admin bearer token): the pipeline's state and its
 * failed jobs with retry, the awards of an achievement, and manual award / revoke with a
 * reason (audit-logged, through the same pipeline as automatic awards).
 *
 * - `GET  /api/issuance/status` → `{jobs, awards, failed: [{id, kind, key, attempts, lastError, updatedAt}]}`
 * - `POST /api/issuance/jobs/:id/retry` → `{retried: true}`
 * - `GET  /api/achievements/:id/awards` → `{awards: [...]}`
 * - `POST /api/awards` `{achievementId, userId, contextId?, reason}` → 201 award
 * - `POST /api/awards/:id/revoke` `{reason}` → award
 */
import { Router, type Request } from 'express';
import { z } from 'zod';
import type { Database } from '../../storage/database.ts';
import { createAwardRepository } from '../../storage/award-repository.ts';
import { createJobRepository } from '../../storage/job-repository.ts';
import { awardManually, revokeManually } from '../../issuance/manual-award.ts';
import { IssuanceError } from '../../issuance/issuance-error.ts';
import { requireAdminToken } from '../admin-auth.ts';

export interface IssuanceAdminRouterDependencies {
  db: Database;
  adminToken: string;
  /** Wakes this process's issuance worker after queueing work. */
  poke?: () => void;
}

const uuid = z.string().uuid();
const awardBody = z.object({ achievementId: uuid, userId: uuid, contextId: uuid.optional(), reason: z.string() }).strict();
const revokeBody = z.object({ reason: z.string() }).strict();

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value ?? {});
  if (!parsed.success) {
    throw new IssuanceError('invalid_award_request', 'The request is not valid', {
      problems: parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
    });
  }
  return parsed.data;
}

function param(req: Request, name: string, schema: z.ZodType<string>, code: 'award_not_found' | 'job_not_found' | 'achievement_not_found'): string {
  const value = String(req.params[name] ?? "");
  if (!schema.safeParse(value).success) throw new IssuanceError(code, `No such ${code.replace('_not_found', '')} ${value}`);
  return value;
}

export function issuanceAdminRouter({ db, adminToken, poke }: IssuanceAdminRouterDependencies): Router {
  const router = Router();
  const admin = requireAdminToken(adminToken);
  const jobs = createJobRepository(db);
  const awards = createAwardRepository(db);

  router.get('/api/issuance/status', admin, async (_req, res) => {
    const failed = await jobs.listFailed();
    res.json({
      jobs: await jobs.counts(),
      awards: await awards.countByState(),
      failed: failed.map(({ id, kind, key, attempts, lastError, updatedAt }) => ({ id, kind, key, attempts, lastError, updatedAt })),
    });
  });

  router.post('/api/issuance/jobs/:id/retry', admin, async (req, res) => {
    const id = Number(param(req, 'id', z.string().regex(/^\d{1,15}$/), 'job_not_found'));
    if (!(await jobs.retry(id))) throw new IssuanceError('job_not_found', `No failed job ${id}`);
    poke?.();
    res.json({ retried: true });
  });

  router.get('/api/achievements/:id/awards', admin, async (req, res) => {
    const id = param(req, 'id', uuid, 'achievement_not_found');
    res.json({ awards: await awards.listForAchievement(id) });
  });

  router.post('/api/awards', admin, async (req, res) => {
    const body = parse(awardBody, req.body);
    const award = await awardManually({ db, ...body, actor: 'admin' });
    poke?.();
    res.status(201).json(award);
  });

  router.post('/api/awards/:id/revoke', admin, async (req, res) => {
    const id = param(req, 'id', uuid, 'award_not_found');
    const { reason } = parse(revokeBody, req.body);
    const award = await revokeManually({ db, awardId: id, actor: 'admin', reason });
    poke?.();
    res.json(award);
  });

  return router;
}
