import type { Queryable } from './database.ts';

/** OB 3.0 Alignment: a competency or standard the achievement maps to. */
export interface Alignment {
  targetName: string;
  targetUrl: string;
  targetDescription?: string;
  targetFramework?: string;
  targetCode?: string;
  targetType?: string;
}

/**
 * An OB 3.0 Achievement plus Sello's criteria rules. `criteria` is the rule tree owned
 * by `src/criteria/` (stored as JSON; validated there before saving).
 */
export interface Achievement {
  id: string;
  issuerId: string;
  /** The course it belongs to; null for the issuer-wide library. */
  contextId: string | null;
  name: string;
  description: string;
  imageUrl: string | null;
  criteria: unknown;
  /** OB 3.0 `criteria.narrative` per language (`en`, `es`). */
  criteriaNarrative: Record<string, string>;
  achievementType: string;
  alignments: Alignment[];
  tags: string[];
  inLanguage: string;
  /** What happens when a learner later falls below the criteria. */
  belowCriteriaPolicy: 'keep' | 'revoke';
  validForDays: number | null;
  /** Credentials end this many calendar months after issuance (migration 0500); wins over `validForDays`. */
  validForMonths: number | null;
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
  archivedAt: Date | null;
  /** Null for a Deep Linking draft the LMS has not yet shown saved (migration 0410). */
  confirmedAt: Date | null;
}

export type AchievementInput = Pick<Achievement, 'issuerId' | 'name'> &
  Partial<
    Pick<
      Achievement,
      | 'contextId'
      | 'description'
      | 'imageUrl'
      | 'criteria'
      | 'criteriaNarrative'
      | 'achievementType'
      | 'alignments'
      | 'tags'
      | 'inLanguage'
      | 'belowCriteriaPolicy'
      | 'validForDays'
      | 'validForMonths'
      | 'createdBy'
    >
  >;

export interface AchievementLink {
  id: string;
  achievementId: string;
  contextId: string;
  resourceLinkId: string | null;
  lineItemUrl: string | null;
  createdAt: Date;
}

const columns = `id, issuer_id AS "issuerId", context_id AS "contextId", name, description, image_url AS "imageUrl",
  criteria, criteria_narrative AS "criteriaNarrative", achievement_type AS "achievementType", alignments, tags,
  in_language AS "inLanguage", below_criteria_policy AS "belowCriteriaPolicy", valid_for_days AS "validForDays",
  valid_for_months AS "validForMonths", created_by AS "createdBy", created_at AS "createdAt", updated_at AS "updatedAt", archived_at AS "archivedAt",
  confirmed_at AS "confirmedAt"`;

const linkColumns = `id, achievement_id AS "achievementId", context_id AS "contextId", resource_link_id AS "resourceLinkId",
  line_item_url AS "lineItemUrl", created_at AS "createdAt"`;

export interface AchievementRepository {
  findById(id: string): Promise<Achievement | null>;
  /** The course's own achievements plus those attached to it from the library; archived ones left out. */
  listForContext(contextId: string): Promise<Achievement[]>;
  listLibrary(issuerId: string): Promise<Achievement[]>;
  create(input: AchievementInput): Promise<Achievement>;
  update(id: string, changes: Partial<Omit<AchievementInput, 'issuerId'>>): Promise<Achievement | null>;
  archive(id: string): Promise<void>;
  unarchive(id: string): Promise<void>;
  /** The course's home list: its own achievements (archived ones too) and those attached to it; Deep Linking drafts left out. */
  listForCourseHome(contextId: string): Promise<Achievement[]>;
  /** Records (or refreshes) where the achievement is attached in a course. */
  link(link: Omit<AchievementLink, 'id' | 'createdAt'>): Promise<AchievementLink>;
  findLink(achievementId: string, contextId: string): Promise<AchievementLink | null>;
  listLinks(contextId: string): Promise<AchievementLink[]>;
  /** Creates a Deep Linking draft: not listed, not public, purged unless confirmed. */
  createDraft(input: AchievementInput): Promise<Achievement>;
  /** Confirms a draft (no-op on a confirmed one); true when it was a draft. */
  confirm(id: string): Promise<boolean>;
  /** Confirms the drafts among `ids` (line items the LMS shows for them). */
  confirmAll(ids: readonly string[]): Promise<number>;
  /** Deletes drafts created before `before` (never issued from: a draft has no awards). */
  purgeDrafts(before: Date, contextId?: string): Promise<number>;
  /** Achievements of the course (own, attached, or drafts) with this name, case and spacing ignored. */
  findByNameInContext(contextId: string, name: string): Promise<Achievement[]>;
  /**
   * The issuer's achievement that a VC API caller described with this `id` (migration
   * 0440); created from `input` the first time, found again (unchanged) afterwards, also
   * when two requests race.
   */
  findOrCreateByExternalId(externalId: string, input: AchievementInput): Promise<Achievement>;
}

const fieldColumns: Record<string, [column: string, json: boolean]> = {
  contextId: ['context_id', false],
  name: ['name', false],
  description: ['description', false],
  imageUrl: ['image_url', false],
  criteria: ['criteria', true],
  criteriaNarrative: ['criteria_narrative', true],
  achievementType: ['achievement_type', false],
  alignments: ['alignments', true],
  tags: ['tags', false],
  inLanguage: ['in_language', false],
  belowCriteriaPolicy: ['below_criteria_policy', false],
  validForDays: ['valid_for_days', false],
  validForMonths: ['valid_for_months', false],
  createdBy: ['created_by', false],
};

/** Inserts an achievement; with an external id, null when the issuer already has one with it. */
async function insertAchievement(db: Queryable, input: AchievementInput, externalId: string | null): Promise<Achievement | null> {
  const names = ['issuer_id'];
  const values: unknown[] = [input.issuerId];
  const placeholders = ['$1'];
  for (const [field, [column, json]] of Object.entries(fieldColumns)) {
    const value = (input as Record<string, unknown>)[field];
    if (value === undefined) continue;
    names.push(column);
    values.push(json ? JSON.stringify(value) : value);
    placeholders.push(json ? `$${values.length}::jsonb` : `$${values.length}`);
  }
  if (externalId !== null) {
    names.push('external_id');
    values.push(externalId);
    placeholders.push(`$${values.length}`);
  }
  const { rows } = await db.query<Achievement>(
    `INSERT INTO achievements (${names.join(', ')}) VALUES (${placeholders.join(', ')})
     ${externalId !== null ? 'ON CONFLICT (issuer_id, external_id) WHERE external_id IS NOT NULL DO NOTHING' : ''} RETURNING ${columns}`,
    values,
  );
  return rows[0] ?? null;
}

export function createAchievementRepository(db: Queryable): AchievementRepository {
  return {
    async findById(id) {
      const { rows } = await db.query<Achievement>(`SELECT ${columns} FROM achievements WHERE id = $1`, [id]);
      return rows[0] ?? null;
    },
    async listForContext(contextId) {
      const { rows } = await db.query<Achievement>(
        `SELECT ${columns} FROM achievements
         WHERE archived_at IS NULL AND confirmed_at IS NOT NULL
           AND (context_id = $1 OR id IN (SELECT achievement_id FROM achievement_links WHERE context_id = $1))
         ORDER BY created_at, name`,
        [contextId],
      );
      return rows;
    },
    async listLibrary(issuerId) {
      const { rows } = await db.query<Achievement>(
        `SELECT ${columns} FROM achievements WHERE issuer_id = $1 AND archived_at IS NULL AND confirmed_at IS NOT NULL ORDER BY name`,
        [issuerId],
      );
      return rows;
    },
    async create(input) {
      return (await insertAchievement(db, input, null))!;
    },
    async update(id, changes) {
      const sets: string[] = [];
      const values: unknown[] = [id];
      for (const [field, [column, json]] of Object.entries(fieldColumns)) {
        const value = (changes as Record<string, unknown>)[field];
        if (value === undefined) continue;
        values.push(json ? JSON.stringify(value) : value);
        sets.push(`${column} = $${values.length}${json ? '::jsonb' : ''}`);
      }
      if (sets.length === 0) return this.findById(id);
      const { rows } = await db.query<Achievement>(
        `UPDATE achievements SET ${sets.join(', ')}, updated_at = now() WHERE id = $1 RETURNING ${columns}`,
        values,
      );
      return rows[0] ?? null;
    },
    async archive(id) {
      await db.query('UPDATE achievements SET archived_at = now() WHERE id = $1 AND archived_at IS NULL', [id]);
    },
    async unarchive(id) {
      await db.query('UPDATE achievements SET archived_at = NULL WHERE id = $1', [id]);
    },
    async listForCourseHome(contextId) {
      const { rows } = await db.query<Achievement>(
        `SELECT ${columns} FROM achievements
         WHERE confirmed_at IS NOT NULL
           AND (context_id = $1 OR (archived_at IS NULL AND id IN (SELECT achievement_id FROM achievement_links WHERE context_id = $1)))
         ORDER BY archived_at NULLS FIRST, created_at, name`,
        [contextId],
      );
      return rows;
    },
    async createDraft(input) {
      const created = await this.create(input);
      const { rows } = await db.query<Achievement>(`UPDATE achievements SET confirmed_at = NULL WHERE id = $1 RETURNING ${columns}`, [created.id]);
      return rows[0]!;
    },
    async confirm(id) {
      const { rowCount } = await db.query('UPDATE achievements SET confirmed_at = now() WHERE id = $1 AND confirmed_at IS NULL', [id]);
      return rowCount > 0;
    },
    async confirmAll(ids) {
      if (ids.length === 0) return 0;
      const { rowCount } = await db.query('UPDATE achievements SET confirmed_at = now() WHERE id = ANY($1::uuid[]) AND confirmed_at IS NULL', [[...ids]]);
      return rowCount;
    },
    async purgeDrafts(before, contextId) {
      const { rowCount } = await db.query(
        `DELETE FROM achievements a WHERE a.confirmed_at IS NULL AND a.created_at < $1 AND ($2::uuid IS NULL OR a.context_id = $2)
           AND NOT EXISTS (SELECT 1 FROM awards w WHERE w.achievement_id = a.id)
           AND NOT EXISTS (SELECT 1 FROM credentials c WHERE c.achievement_id = a.id)`,
        [before.toISOString(), contextId ?? null],
      );
      return rowCount;
    },
    async findOrCreateByExternalId(externalId, input) {
      const inserted = await insertAchievement(db, input, externalId);
      if (inserted) return inserted;
      // Already there (or a concurrent request just created it): the first one stays.
      const { rows } = await db.query<Achievement>(`SELECT ${columns} FROM achievements WHERE issuer_id = $1 AND external_id = $2`, [input.issuerId, externalId]);
      return rows[0]!;
    },
    async findByNameInContext(contextId, name) {
      const { rows } = await db.query<Achievement>(
        `SELECT ${columns} FROM achievements
         WHERE archived_at IS NULL AND lower(regexp_replace(btrim(name), '\\s+', ' ', 'g')) = lower(regexp_replace(btrim($2), '\\s+', ' ', 'g'))
           AND (context_id = $1 OR id IN (SELECT achievement_id FROM achievement_links WHERE context_id = $1))
         ORDER BY confirmed_at NULLS LAST, created_at`,
        [contextId, name],
      );
      return rows;
    },
    async link(link) {
      const { rows } = await db.query<AchievementLink>(
        `INSERT INTO achievement_links (achievement_id, context_id, resource_link_id, line_item_url)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (achievement_id, context_id) DO UPDATE SET
           resource_link_id = COALESCE(EXCLUDED.resource_link_id, achievement_links.resource_link_id),
           line_item_url = COALESCE(EXCLUDED.line_item_url, achievement_links.line_item_url)
         RETURNING ${linkColumns}`,
        [link.achievementId, link.contextId, link.resourceLinkId, link.lineItemUrl],
      );
      return rows[0]!;
    },
    async findLink(achievementId, contextId) {
      const { rows } = await db.query<AchievementLink>(
        `SELECT ${linkColumns} FROM achievement_links WHERE achievement_id = $1 AND context_id = $2`,
        [achievementId, contextId],
      );
      return rows[0] ?? null;
    },
    async listLinks(contextId) {
      const { rows } = await db.query<AchievementLink>(
        `SELECT ${linkColumns} FROM achievement_links WHERE context_id = $1 ORDER BY created_at`,
        [contextId],
      );
      return rows;
    },
  };
}
