import type { Queryable } from './database.ts';

export type AwardState = 'awarded' | 'signed' | 'posted' | 'revoking' | 'revoked';

/** One learner's award of one achievement, and how far the pipeline has taken it. */
export interface Award {
  id: string;
  achievementId: string;
  userId: string;
  contextId: string;
  state: AwardState;
  origin: 'criteria' | 'manual';
  generation: number;
  credentialId: string | null;
  lineItemUrl: string | null;
  postedAt: Date | null;
  awardedBy: string;
  reason: string | null;
  revokedAt: Date | null;
  revokedBy: string | null;
  revokeReason: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface AwardTransition {
  id: number;
  awardId: string;
  at: Date;
  fromState: AwardState | null;
  toState: AwardState;
  actor: string;
  details: Record<string, unknown>;
}

/** An award with who it is for, for lists and pages. */
export interface AwardListing extends Award {
  learnerName: string | null;
  learnerSub: string;
  achievementName: string;
}

const columns = `a.id, a.achievement_id AS "achievementId", a.user_id AS "userId", a.context_id AS "contextId", a.state, a.origin,
  a.generation, a.credential_id AS "credentialId", a.line_item_url AS "lineItemUrl", a.posted_at AS "postedAt",
  a.awarded_by AS "awardedBy", a.reason, a.revoked_at AS "revokedAt", a.revoked_by AS "revokedBy",
  a.revoke_reason AS "revokeReason", a.created_at AS "createdAt", a.updated_at AS "updatedAt"`;

export interface AwardRepository {
  findById(id: string): Promise<Award | null>;
  /** Locks the award row for the rest of the transaction (one step at a time per award). */
  lockById(id: string): Promise<Award | null>;
  find(achievementId: string, userId: string): Promise<Award | null>;
  listForLearner(contextId: string, userId: string): Promise<Award[]>;
  listForAchievement(achievementId: string): Promise<AwardListing[]>;
  /**
   * Creates the award unless one exists for the achievement and learner (the unique
   * constraint decides, so racing processes create one). Returns the award and whether
   * this call created it. With `queueAdvance`, a created award's `advance_award` job is
   * queued by the same statement: the award never exists without the job that moves it
   * on, and no transaction is needed for that.
   */
  createIfAbsent(
    input: {
      achievementId: string;
      userId: string;
      contextId: string;
      origin: Award['origin'];
      awardedBy: string;
      reason: string | null;
    },
    options?: { queueAdvance?: boolean },
  ): Promise<{ award: Award; created: boolean }>;
  /**
   * Moves an award from one state to another and records the transition; null when the
   * award was not in `from` (someone else moved it first).
   */
  transition(input: {
    id: string;
    from: AwardState | readonly AwardState[];
    to: AwardState;
    actor: string;
    details?: Record<string, unknown>;
    set?: Partial<Pick<Award, 'credentialId' | 'lineItemUrl' | 'postedAt' | 'revokedAt' | 'revokedBy' | 'revokeReason' | 'generation' | 'origin' | 'awardedBy' | 'reason'>>;
  }): Promise<Award | null>;
  listTransitions(awardId: string): Promise<AwardTransition[]>;
  /**
   * Sends the course's posted awards of an achievement that sit on another column than
   * `lineItemUrl` back to `signed`, on that column, with their `advance_award` job: the
   * pipeline posts them again there. One statement; returns the awards moved.
   */
  moveToColumn(input: { achievementId: string; contextId: string; lineItemUrl: string; actor: string }): Promise<string[]>;
  countByState(filter?: { contextId?: string }): Promise<Record<AwardState, number>>;
}

const settable: Record<string, string> = {
  credentialId: 'credential_id',
  lineItemUrl: 'line_item_url',
  postedAt: 'posted_at',
  revokedAt: 'revoked_at',
  revokedBy: 'revoked_by',
  revokeReason: 'revoke_reason',
  generation: 'generation',
  origin: 'origin',
  awardedBy: 'awarded_by',
  reason: 'reason',
};

export function createAwardRepository(db: Queryable): AwardRepository {
  return {
    async findById(id) {
      const { rows } = await db.query<Award>(`SELECT ${columns} FROM awards a WHERE a.id = $1`, [id]);
      return rows[0] ?? null;
    },
    async lockById(id) {
      const { rows } = await db.query<Award>(`SELECT ${columns} FROM awards a WHERE a.id = $1 FOR UPDATE`, [id]);
      return rows[0] ?? null;
    },
    async find(achievementId, userId) {
      const { rows } = await db.query<Award>(`SELECT ${columns} FROM awards a WHERE a.achievement_id = $1 AND a.user_id = $2`, [
        achievementId,
        userId,
      ]);
      return rows[0] ?? null;
    },
    async listForLearner(contextId, userId) {
      const { rows } = await db.query<Award>(`SELECT ${columns} FROM awards a WHERE a.context_id = $1 AND a.user_id = $2 ORDER BY a.created_at`, [
        contextId,
        userId,
      ]);
      return rows;
    },
    async listForAchievement(achievementId) {
      const { rows } = await db.query<AwardListing>(
        `SELECT ${columns}, u.name AS "learnerName", u.sub AS "learnerSub", h.name AS "achievementName"
           FROM awards a JOIN users u ON u.id = a.user_id JOIN achievements h ON h.id = a.achievement_id
          WHERE a.achievement_id = $1 ORDER BY a.created_at DESC`,
        [achievementId],
      );
      return rows;
    },
    async createIfAbsent(input, options = {}) {
      // The job has the shape `enqueue` gives it (kind, key = award id, payload).
      const queued = options.queueAdvance
        ? `, queued AS (
           INSERT INTO issuance_jobs (kind, key, payload)
           SELECT 'advance_award', id::text, jsonb_build_object('awardId', id::text) FROM created
           ON CONFLICT (kind, key) WHERE state = 'queued' DO NOTHING)`
        : '';
      const inserted = await db.query<Award>(
        `WITH created AS (
           INSERT INTO awards (achievement_id, user_id, context_id, origin, awarded_by, reason)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (achievement_id, user_id) DO NOTHING
           RETURNING *),
         logged AS (
           INSERT INTO award_transitions (award_id, from_state, to_state, actor, details)
           SELECT id, NULL, 'awarded', $5, $7::jsonb FROM created)${queued}
         SELECT ${columns} FROM created a`,
        [input.achievementId, input.userId, input.contextId, input.origin, input.awardedBy, input.reason, JSON.stringify({ origin: input.origin, reason: input.reason })],
      );
      if (inserted.rows[0]) return { award: inserted.rows[0], created: true };
      return { award: (await this.find(input.achievementId, input.userId))!, created: false };
    },
    async transition({ id, from, to, actor, details = {}, set = {} }) {
      const froms = Array.isArray(from) ? [...from] : [from as AwardState];
      const values: unknown[] = [id, froms, to];
      const sets = ['state = $3', 'updated_at = now()'];
      for (const [field, value] of Object.entries(set)) {
        if (value === undefined) continue;
        values.push(value instanceof Date ? value.toISOString() : value);
        sets.push(`${settable[field]} = $${values.length}`);
      }
      // One statement: the state change and its record commit together or not at all.
      values.push(actor, JSON.stringify(details));
      const actorParam = `$${values.length - 1}`;
      const detailsParam = `$${values.length}::jsonb`;
      const { rows } = await db.query<Award & { previous: AwardState }>(
        `WITH previous AS (SELECT state FROM awards WHERE id = $1 FOR UPDATE),
         changed AS (
           UPDATE awards a SET ${sets.join(', ')} FROM previous
            WHERE a.id = $1 AND previous.state = ANY($2::text[])
           RETURNING a.*, previous.state AS previous_state),
         logged AS (
           INSERT INTO award_transitions (award_id, from_state, to_state, actor, details)
           SELECT id, previous_state, state, ${actorParam}, ${detailsParam} FROM changed)
         SELECT ${columns}, a.previous_state AS previous FROM changed a`,
        values,
      );
      const row = rows[0];
      if (!row) return null;
      const { previous: _previous, ...award } = row;
      return award;
    },
    async listTransitions(awardId) {
      const { rows } = await db.query<AwardTransition>(
        `SELECT id, award_id AS "awardId", at, from_state AS "fromState", to_state AS "toState", actor, details
           FROM award_transitions WHERE award_id = $1 ORDER BY id`,
        [awardId],
      );
      return rows;
    },
    async moveToColumn({ achievementId, contextId, lineItemUrl, actor }) {
      const { rows } = await db.query<{ id: string }>(
        `WITH moved AS (
           UPDATE awards SET state = 'signed', line_item_url = $3, updated_at = now()
            WHERE achievement_id = $1 AND context_id = $2 AND state = 'posted' AND line_item_url IS DISTINCT FROM $3
           RETURNING id, line_item_url),
         logged AS (
           INSERT INTO award_transitions (award_id, from_state, to_state, actor, details)
           SELECT id, 'posted', 'signed', $4, jsonb_build_object('lineItemUrl', line_item_url, 'reason', 'one_badge_column') FROM moved),
         queued AS (
           INSERT INTO issuance_jobs (kind, key, payload)
           SELECT 'advance_award', id::text, jsonb_build_object('awardId', id::text) FROM moved
           ON CONFLICT (kind, key) WHERE state = 'queued' DO NOTHING)
         SELECT id FROM moved`,
        [achievementId, contextId, lineItemUrl, actor],
      );
      return rows.map((row) => row.id);
    },
    async countByState(filter = {}) {
      const { rows } = await db.query<{ state: AwardState; n: number }>(
        `SELECT state, count(*)::int AS n FROM awards WHERE ($1::uuid IS NULL OR context_id = $1) GROUP BY state`,
        [filter.contextId ?? null],
      );
      const counts: Record<AwardState, number> = { awarded: 0, signed: 0, posted: 0, revoking: 0, revoked: 0 };
      for (const row of rows) counts[row.state] = row.n;
      return counts;
    },
  };
}
