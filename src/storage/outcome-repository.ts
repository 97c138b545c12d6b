import type { Queryable } from './database.ts';

/** One normalized outcome, with Sello's own ids (see src/outcomes/outcome-event.ts). */
export interface StoredOutcome {
  contextId: string;
  userId: string;
  activity: string;
  score: number | null;
  max: number | null;
  completed: boolean | null;
  at: Date;
  source: string;
}

export interface OutcomeActivity {
  contextId: string;
  activity: string;
  name: string;
  source: string;
  max: number | null;
}

/** What issuance needs to know about a course (a subset of `contexts`). */
export interface OutcomeContext {
  id: string;
  platformId: string;
  lmsContextId: string;
  title: string;
  locale: string | null;
  agsLineItemsUrl: string | null;
  lastLaunchAt: Date | null;
  lastSyncedAt: Date | null;
}

export interface WebhookDelivery {
  bodySha256: string;
  result: Record<string, unknown>;
}

export interface OutcomeRepository {
  /**
   * Stores outcomes, keeping for each (context, learner, activity) the newest state.
   * Returns the (context, learner) pairs whose state actually changed: replays, older
   * events and events that repeat what is known change nothing and are not returned.
   */
  record(outcomes: readonly StoredOutcome[]): Promise<Array<{ contextId: string; userId: string }>>;
  listForLearner(contextId: string, userId: string): Promise<StoredOutcome[]>;
  upsertActivities(activities: readonly OutcomeActivity[]): Promise<void>;
  listActivities(contextId: string): Promise<OutcomeActivity[]>;
  findContext(id: string): Promise<OutcomeContext | null>;
  findContextByLmsId(platformId: string, lmsContextId: string): Promise<OutcomeContext | null>;
  /** Courses launched since `since`: the ones the scheduled sync keeps fresh. */
  listActiveContexts(since: Date): Promise<OutcomeContext[]>;
  markSynced(contextId: string, at: Date): Promise<void>;
  findDelivery(platformId: string, idempotencyKey: string): Promise<WebhookDelivery | null>;
  /** Records a delivery; false when that key was already recorded (a concurrent replay). */
  recordDelivery(platformId: string, idempotencyKey: string, delivery: WebhookDelivery): Promise<boolean>;
  /**
   * Remembers a v1 webhook signature with the idempotency key it came with, until
   * `expiresAt`, and returns the key it was first seen with (the given one when new).
   * Forgets signatures expired at `now` on the way.
   */
  rememberSignature(params: { platformId: string; signatureSha256: string; idempotencyKey: string; expiresAt: Date; now: Date }): Promise<string>;
}

const contextColumns = `id, platform_id AS "platformId", lms_context_id AS "lmsContextId", title, locale,
  ags_lineitems_url AS "agsLineItemsUrl", last_launch_at AS "lastLaunchAt", last_synced_at AS "lastSyncedAt"`;

const outcomeColumns = `context_id AS "contextId", user_id AS "userId", activity, score, max, completed, at, source`;

export function createOutcomeRepository(db: Queryable): OutcomeRepository {
  return {
    async record(outcomes) {
      if (outcomes.length === 0) return [];
      // One statement for the whole batch (unnest of parallel arrays). A conflicting row is
      // updated only when the event is not older and says something new; RETURNING then
      // lists exactly the inserted or changed rows.
      const { rows } = await db.query<{ contextId: string; userId: string }>(
        `INSERT INTO outcomes AS o (context_id, user_id, activity, score, max, completed, at, source)
         SELECT DISTINCT ON (c, u, a) c, u, a, s, m, d, t, src
           FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::float8[], $5::float8[], $6::bool[], $7::timestamptz[], $8::text[])
             AS e(c, u, a, s, m, d, t, src)
          ORDER BY c, u, a, t DESC
         ON CONFLICT (context_id, user_id, activity) DO UPDATE SET
           score = COALESCE(EXCLUDED.score, o.score),
           max = COALESCE(EXCLUDED.max, o.max),
           completed = COALESCE(EXCLUDED.completed, o.completed),
           at = EXCLUDED.at,
           source = EXCLUDED.source,
           updated_at = now()
         WHERE EXCLUDED.at >= o.at AND (
           (EXCLUDED.score IS NOT NULL AND EXCLUDED.score IS DISTINCT FROM o.score) OR
           (EXCLUDED.max IS NOT NULL AND EXCLUDED.max IS DISTINCT FROM o.max) OR
           (EXCLUDED.completed IS NOT NULL AND EXCLUDED.completed IS DISTINCT FROM o.completed))
         RETURNING o.context_id AS "contextId", o.user_id AS "userId"`,
        [
          outcomes.map((o) => o.contextId),
          outcomes.map((o) => o.userId),
          outcomes.map((o) => o.activity),
          outcomes.map((o) => o.score),
          outcomes.map((o) => o.max),
          outcomes.map((o) => o.completed),
          outcomes.map((o) => o.at.toISOString()),
          outcomes.map((o) => o.source),
        ],
      );
      const seen = new Set<string>();
      return rows.filter((row) => {
        const key = `${row.contextId}/${row.userId}`;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
    },
    async listForLearner(contextId, userId) {
      const { rows } = await db.query<StoredOutcome>(
        `SELECT ${outcomeColumns} FROM outcomes WHERE context_id = $1 AND user_id = $2 ORDER BY activity`,
        [contextId, userId],
      );
      return rows;
    },
    async upsertActivities(activities) {
      if (activities.length === 0) return;
      await db.query(
        `INSERT INTO outcome_activities (context_id, activity, name, source, max)
         SELECT DISTINCT ON (c, a) c, a, n, s, m FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::float8[]) AS x(c, a, n, s, m)
         ON CONFLICT (context_id, activity) DO UPDATE SET name = EXCLUDED.name, source = EXCLUDED.source,
           max = COALESCE(EXCLUDED.max, outcome_activities.max), updated_at = now()
         WHERE (outcome_activities.name, outcome_activities.source, outcome_activities.max)
           IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.source, COALESCE(EXCLUDED.max, outcome_activities.max))`,
        [
          activities.map((a) => a.contextId),
          activities.map((a) => a.activity),
          activities.map((a) => a.name),
          activities.map((a) => a.source),
          activities.map((a) => a.max),
        ],
      );
    },
    async listActivities(contextId) {
      const { rows } = await db.query<OutcomeActivity>(
        `SELECT context_id AS "contextId", activity, name, source, max FROM outcome_activities WHERE context_id = $1 ORDER BY name`,
        [contextId],
      );
      return rows;
    },
    async findContext(id) {
      const { rows } = await db.query<OutcomeContext>(`SELECT ${contextColumns} FROM contexts WHERE id = $1`, [id]);
      return rows[0] ?? null;
    },
    async findContextByLmsId(platformId, lmsContextId) {
      const { rows } = await db.query<OutcomeContext>(
        `SELECT ${contextColumns} FROM contexts WHERE platform_id = $1 AND lms_context_id = $2`,
        [platformId, lmsContextId],
      );
      return rows[0] ?? null;
    },
    async listActiveContexts(since) {
      const { rows } = await db.query<OutcomeContext>(
        `SELECT ${contextColumns} FROM contexts WHERE last_launch_at >= $1 ORDER BY last_synced_at NULLS FIRST, id`,
        [since.toISOString()],
      );
      return rows;
    },
    async markSynced(contextId, at) {
      await db.query('UPDATE contexts SET last_synced_at = $2 WHERE id = $1', [contextId, at.toISOString()]);
    },
    async findDelivery(platformId, idempotencyKey) {
      const { rows } = await db.query<WebhookDelivery>(
        `SELECT body_sha256 AS "bodySha256", result FROM outcome_webhook_deliveries WHERE platform_id = $1 AND idempotency_key = $2`,
        [platformId, idempotencyKey],
      );
      return rows[0] ?? null;
    },
    async recordDelivery(platformId, idempotencyKey, delivery) {
      const { rowCount } = await db.query(
        `INSERT INTO outcome_webhook_deliveries (platform_id, idempotency_key, body_sha256, result)
         VALUES ($1, $2, $3, $4::jsonb) ON CONFLICT DO NOTHING`,
        [platformId, idempotencyKey, delivery.bodySha256, JSON.stringify(delivery.result)],
      );
      return rowCount > 0;
    },
    async rememberSignature({ platformId, signatureSha256, idempotencyKey, expiresAt, now }) {
      await db.query('DELETE FROM outcome_webhook_signatures WHERE expires_at < $1', [now]);
      // One statement: two copies racing in both see the key of whichever was first.
      const { rows } = await db.query<{ idempotencyKey: string }>(
        `INSERT INTO outcome_webhook_signatures (platform_id, signature_sha256, idempotency_key, expires_at)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (platform_id, signature_sha256) DO UPDATE SET expires_at = outcome_webhook_signatures.expires_at
         RETURNING idempotency_key AS "idempotencyKey"`,
        [platformId, signatureSha256, idempotencyKey, expiresAt],
      );
      return rows[0]!.idempotencyKey;
    },
  };
}

/**
 * Sello user ids for LMS subs of one platform, creating users not seen before (an
 * outcome can arrive before the learner's first launch). One statement for the batch.
 */
export async function resolveLearners(db: Queryable, platformId: string, subs: readonly string[]): Promise<Map<string, string>> {
  const unique = [...new Set(subs)];
  if (unique.length === 0) return new Map();
  await db.query(
    `INSERT INTO users (platform_id, sub) SELECT $1, s FROM unnest($2::text[]) AS s ON CONFLICT (platform_id, sub) DO NOTHING`,
    [platformId, unique],
  );
  const { rows } = await db.query<{ id: string; sub: string }>(`SELECT id, sub FROM users WHERE platform_id = $1 AND sub = ANY($2::text[])`, [
    platformId,
    unique,
  ]);
  return new Map(rows.map((row) => [row.sub, row.id]));
}

/**
 * Claims a course for a scheduled sync: true for exactly one process when the course was
 * not synced in the last `intervalS` seconds (several Sello processes share the schedule).
 */
export async function claimContextSync(db: Queryable, contextId: string, intervalS: number): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE contexts SET last_synced_at = now()
      WHERE id = $1 AND (last_synced_at IS NULL OR last_synced_at < now() - make_interval(secs => $2::float8))`,
    [contextId, intervalS],
  );
  return rowCount > 0;
}

/** The LMS course id a connector should ask about (see migration 0401); null when unknown. */
export async function findConnectorCourseId(db: Queryable, contextId: string): Promise<string | null> {
  const { rows } = await db.query<{ id: string }>('SELECT lms_course_id AS id FROM outcome_connector_courses WHERE context_id = $1', [contextId]);
  return rows[0]?.id ?? null;
}

export async function setConnectorCourseId(db: Queryable, contextId: string, lmsCourseId: string): Promise<void> {
  await db.query(
    `INSERT INTO outcome_connector_courses (context_id, lms_course_id) VALUES ($1, $2)
     ON CONFLICT (context_id) DO UPDATE SET lms_course_id = EXCLUDED.lms_course_id, updated_at = now()`,
    [contextId, lmsCourseId],
  );
}

/** Sello users of a platform by email (lower-cased): how Canvas REST users are matched to LTI users. */
export async function findLearnersByEmail(db: Queryable, platformId: string, emails: readonly string[]): Promise<Map<string, string>> {
  if (emails.length === 0) return new Map();
  const { rows } = await db.query<{ email: string; sub: string }>(
    `SELECT lower(email) AS email, sub FROM users WHERE platform_id = $1 AND lower(email) = ANY($2::text[])`,
    [platformId, emails.map((email) => email.toLowerCase())],
  );
  return new Map(rows.map((row) => [row.email, row.sub]));
}

/** Courses with this LMS context id on any platform (the CLI resolves `--context` with it). */
export async function findContextsByLmsId(db: Queryable, lmsContextId: string): Promise<OutcomeContext[]> {
  const { rows } = await db.query<OutcomeContext>(`SELECT ${contextColumns} FROM contexts WHERE lms_context_id = $1 ORDER BY created_at`, [lmsContextId]);
  return rows;
}

/** The course's learners (active enrollments), for the manual award form. */
export async function listCourseLearners(db: Queryable, contextId: string): Promise<Array<{ id: string; sub: string; name: string | null; email: string | null }>> {
  const { rows } = await db.query<{ id: string; sub: string; name: string | null; email: string | null }>(
    `SELECT u.id, u.sub, u.name, u.email FROM enrollments e JOIN users u ON u.id = e.user_id
      WHERE e.context_id = $1 AND e.active ORDER BY u.name NULLS LAST, u.sub`,
    [contextId],
  );
  return rows;
}
