import type { Queryable } from './database.ts';

export type JobKind = 'evaluate' | 'advance_award';

export interface Job {
  id: number;
  kind: JobKind;
  key: string;
  payload: Record<string, unknown>;
  state: 'queued' | 'running' | 'failed';
  attempts: number;
  runAfter: Date;
  lockedBy: string | null;
  lockedUntil: Date | null;
  lastError: string | null;
  /** Why a parked job waits without retrying (see ParkReason in src/issuance/issuance-error.ts). */
  parkedReason: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewJob {
  kind: JobKind;
  key: string;
  payload?: Record<string, unknown>;
}

const columns = `id, kind, key, payload, state, attempts, run_after AS "runAfter", locked_by AS "lockedBy",
  locked_until AS "lockedUntil", last_error AS "lastError", parked_reason AS "parkedReason", created_at AS "createdAt", updated_at AS "updatedAt"`;

/** The durable work queue of the issuance pipeline (see migration 0400). */
export interface JobRepository {
  /** Queues jobs; a job whose (kind, key) is already queued is not queued twice. */
  enqueue(jobs: readonly NewJob[]): Promise<number>;
  /**
   * Claims up to `limit` ready jobs for `workerId` until `leaseMs` from now, skipping rows
   * other processes hold (`FOR UPDATE SKIP LOCKED`). Jobs left `running` by a process that
   * died are claimed again once their lease has run out.
   */
  claim(parameters: { workerId: string; limit: number; leaseMs: number }): Promise<Job[]>;
  /** Done: the job rows go; the award's transitions are the lasting record. */
  complete(ids: readonly number[], workerId: string): Promise<void>;
  /** Back to the queue after `delayMs`, or parked as `failed` when `park` is true (with `reason` when no retry can heal it). */
  fail(parameters: { id: number; workerId: string; error: string; delayMs: number; park: boolean; reason?: string | null }): Promise<void>;
  listFailed(): Promise<Job[]>;
  /** Puts a failed job back in the queue with a fresh attempt count; false when not failed. */
  retry(id: number): Promise<boolean>;
  counts(): Promise<Record<'queued' | 'running' | 'failed', number>>;
  /**
   * Re-queues the parked `advance_award` jobs of these learners that waited for an email
   * or DID they now have (a roster sync, a launch or the webhook brought it). Returns
   * how many went back to the queue.
   */
  requeueReachable(userIds: readonly string[]): Promise<number>;
  /**
   * Queues one `evaluate` job for every known learner of the course (active enrollments
   * and anyone with an outcome there), and drops the course's evaluations parked for
   * invalid criteria (they are queued again here). Returns how many were queued.
   */
  enqueueCourseEvaluation(contextId: string): Promise<number>;
  /** Parked jobs of an achievement's awards and evaluations, for its page: reason, learner, since. */
  listParkedForAchievement(achievementId: string): Promise<Array<{ reason: string; userId: string | null; learner: string | null; since: Date }>>;
  /** When the next queued job becomes ready (null when none): lets idle workers sleep precisely. */
  nextRunAfter(): Promise<Date | null>;
}

export function createJobRepository(db: Queryable): JobRepository {
  return {
    async enqueue(jobs) {
      if (jobs.length === 0) return 0;
      const { rowCount } = await db.query(
        `INSERT INTO issuance_jobs (kind, key, payload)
         SELECT DISTINCT ON (k, y) k, y, p FROM unnest($1::text[], $2::text[], $3::jsonb[]) AS j(k, y, p)
         ON CONFLICT (kind, key) WHERE state = 'queued' DO NOTHING`,
        [jobs.map((job) => job.kind), jobs.map((job) => job.key), jobs.map((job) => JSON.stringify(job.payload ?? {}))],
      );
      return rowCount;
    },
    async claim({ workerId, limit, leaseMs }) {
      const { rows } = await db.query<Job>(
        `UPDATE issuance_jobs SET state = 'running', attempts = attempts + 1, locked_by = $1,
           locked_until = now() + make_interval(secs => $3::float8 / 1000), updated_at = now()
         WHERE id IN (
           SELECT id FROM issuance_jobs
            WHERE (state = 'queued' AND run_after <= now()) OR (state = 'running' AND locked_until < now())
            ORDER BY run_after, id
            LIMIT $2
            FOR UPDATE SKIP LOCKED)
         RETURNING ${columns}`,
        [workerId, limit, leaseMs],
      );
      return rows.sort((a, b) => a.id - b.id);
    },
    async complete(ids, workerId) {
      if (ids.length === 0) return;
      await db.query(`DELETE FROM issuance_jobs WHERE id = ANY($1::bigint[]) AND locked_by = $2 AND state = 'running'`, [ids, workerId]);
    },
    async fail({ id, workerId, error, delayMs, park, reason = null }) {
      // A queued twin (same kind and key) may exist already; then this one just goes away,
      // since the twin will do the same work.
      await db.query(
        `WITH twin AS (
           SELECT 1 FROM issuance_jobs t, issuance_jobs j
            WHERE j.id = $1 AND t.kind = j.kind AND t.key = j.key AND t.state = 'queued' AND t.id <> j.id)
         UPDATE issuance_jobs SET
           state = CASE WHEN $4 THEN 'failed' ELSE 'queued' END,
           run_after = now() + make_interval(secs => $5::float8 / 1000),
           last_error = $3, parked_reason = CASE WHEN $4 THEN $6 ELSE NULL END,
           locked_by = NULL, locked_until = NULL, updated_at = now()
         WHERE id = $1 AND locked_by = $2 AND state = 'running' AND ($4 OR NOT EXISTS (SELECT 1 FROM twin))`,
        [id, workerId, error.slice(0, 4000), park, delayMs, reason],
      );
      await db.query(
        `DELETE FROM issuance_jobs WHERE id = $1 AND locked_by = $2 AND state = 'running'`,
        [id, workerId],
      );
      // One parked copy per (kind, key): a job parked again replaces the older one.
      if (park) {
        await db.query(
          `DELETE FROM issuance_jobs t USING issuance_jobs j
            WHERE j.id = $1 AND j.state = 'failed' AND t.kind = j.kind AND t.key = j.key AND t.state = 'failed' AND t.id <> j.id`,
          [id],
        );
      }
    },
    async listFailed() {
      const { rows } = await db.query<Job>(`SELECT ${columns} FROM issuance_jobs WHERE state = 'failed' ORDER BY updated_at DESC, id`);
      return rows;
    },
    async retry(id) {
      const { rows } = await db.query<{ kind: string; key: string }>(
        `UPDATE issuance_jobs SET state = 'queued', attempts = 0, run_after = now(), parked_reason = NULL, updated_at = now()
         WHERE id = $1 AND state = 'failed'
           AND NOT EXISTS (SELECT 1 FROM issuance_jobs t WHERE t.state = 'queued' AND (t.kind, t.key) = (issuance_jobs.kind, issuance_jobs.key))
         RETURNING kind, key`,
        [id],
      );
      if (rows.length > 0) return true;
      // Already queued under the same key: the failed copy is redundant.
      const { rowCount } = await db.query(`DELETE FROM issuance_jobs WHERE id = $1 AND state = 'failed'`, [id]);
      return rowCount > 0;
    },
    async counts() {
      const { rows } = await db.query<{ state: 'queued' | 'running' | 'failed'; n: number }>(
        `SELECT state, count(*)::int AS n FROM issuance_jobs GROUP BY state`,
      );
      const counts = { queued: 0, running: 0, failed: 0 };
      for (const row of rows) counts[row.state] = row.n;
      return counts;
    },
    async requeueReachable(userIds) {
      if (userIds.length === 0) return 0;
      const { rows } = await db.query<{ id: number }>(
        `SELECT j.id FROM issuance_jobs j JOIN awards a ON a.id::text = j.key JOIN users u ON u.id = a.user_id
          WHERE j.state = 'failed' AND j.kind = 'advance_award' AND j.parked_reason = 'recipient_unreachable'
            AND u.id = ANY($1::uuid[]) AND (u.email IS NOT NULL OR u.did IS NOT NULL)`,
        [userIds],
      );
      let requeued = 0;
      for (const row of rows) if (await this.retry(row.id)) requeued += 1;
      return requeued;
    },
    async enqueueCourseEvaluation(contextId) {
      await db.query(
        `DELETE FROM issuance_jobs WHERE state = 'failed' AND kind = 'evaluate' AND parked_reason = 'criteria_invalid' AND payload->>'contextId' = $1`,
        [contextId],
      );
      const { rowCount } = await db.query(
        `INSERT INTO issuance_jobs (kind, key, payload)
         SELECT 'evaluate', $1::text || '/' || u::text, jsonb_build_object('contextId', $1::text, 'userId', u::text)
           FROM (SELECT user_id AS u FROM enrollments WHERE context_id = $1::uuid AND active
                 UNION SELECT user_id FROM outcomes WHERE context_id = $1::uuid) learners
         ON CONFLICT (kind, key) WHERE state = 'queued' DO NOTHING`,
        [contextId],
      );
      return rowCount;
    },
    async listParkedForAchievement(achievementId) {
      const { rows } = await db.query<{ reason: string; userId: string | null; learner: string | null; since: Date }>(
        `SELECT j.parked_reason AS reason, u.id AS "userId", COALESCE(u.name, u.sub) AS learner, j.updated_at AS since
           FROM issuance_jobs j
           LEFT JOIN awards a ON j.kind = 'advance_award' AND a.id::text = j.key
           LEFT JOIN users u ON u.id = COALESCE(a.user_id, (j.payload->>'userId')::uuid)
          WHERE j.state = 'failed'
            AND (a.achievement_id = $1::uuid OR (j.kind = 'evaluate' AND j.parked_reason = 'criteria_invalid' AND (j.payload->>'contextId')::uuid IN (
                  SELECT context_id FROM achievements WHERE id = $1::uuid AND context_id IS NOT NULL
                  UNION SELECT context_id FROM achievement_links WHERE achievement_id = $1::uuid)))
          ORDER BY j.updated_at DESC LIMIT 200`,
        [achievementId],
      );
      return rows.map((row) => ({ ...row, reason: row.reason ?? 'attempts_exhausted' }));
    },
    async nextRunAfter() {
      const { rows } = await db.query<{ at: Date | null }>(
        `SELECT min(run_after) AS at FROM issuance_jobs WHERE state = 'queued'`,
      );
      return rows[0]?.at ?? null;
    },
  };
}
