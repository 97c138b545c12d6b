import type { Queryable } from './database.ts';

/** A course (LTI context) as its platform last described it. */
export interface Context {
  id: string;
  platformId: string;
  lmsContextId: string;
  title: string;
  label: string;
  locale: string | null;
  /** AGS line items container URL of the last launch, when the platform offered AGS. */
  agsLineItemsUrl: string | null;
  agsScopes: string[];
  /** NRPS context memberships URL, when offered. */
  nrpsUrl: string | null;
  /** The NRPS `differences` link of the last roster read (changes since then). */
  nrpsDifferencesUrl: string | null;
  lastLaunchAt: Date | null;
  lastSyncedAt: Date | null;
  createdAt: Date;
}

export type ContextInput = Pick<Context, 'platformId' | 'lmsContextId'> &
  Partial<Pick<Context, 'title' | 'label' | 'locale' | 'agsLineItemsUrl' | 'agsScopes' | 'nrpsUrl'>>;

const columns = `id, platform_id AS "platformId", lms_context_id AS "lmsContextId", title, label, locale,
  ags_lineitems_url AS "agsLineItemsUrl", ags_scopes AS "agsScopes", nrps_url AS "nrpsUrl",
  nrps_differences_url AS "nrpsDifferencesUrl", last_launch_at AS "lastLaunchAt", last_synced_at AS "lastSyncedAt", created_at AS "createdAt"`;

export interface ContextRepository {
  findById(id: string): Promise<Context | null>;
  findByLmsId(platformId: string, lmsContextId: string): Promise<Context | null>;
  /** Records what a launch says about the course; absent fields keep their value; stamps last_launch_at. */
  recordLaunch(input: ContextInput): Promise<Context>;
  /** Courses whose platform offers AGS, for scheduled syncs. */
  listWithGradebook(): Promise<Context[]>;
  markSynced(id: string): Promise<void>;
  /** Records where to ask for the roster's changes next time (null: read it whole). */
  setNrpsDifferencesUrl(id: string, url: string | null): Promise<void>;
}

export function createContextRepository(db: Queryable): ContextRepository {
  return {
    async findById(id) {
      const { rows } = await db.query<Context>(`SELECT ${columns} FROM contexts WHERE id = $1`, [id]);
      return rows[0] ?? null;
    },
    async findByLmsId(platformId, lmsContextId) {
      const { rows } = await db.query<Context>(`SELECT ${columns} FROM contexts WHERE platform_id = $1 AND lms_context_id = $2`, [
        platformId,
        lmsContextId,
      ]);
      return rows[0] ?? null;
    },
    async recordLaunch(c) {
      const { rows } = await db.query<Context>(
        `INSERT INTO contexts (platform_id, lms_context_id, title, label, locale, ags_lineitems_url, ags_scopes, nrps_url, last_launch_at)
         VALUES ($1, $2, COALESCE($3, ''), COALESCE($4, ''), $5, $6, COALESCE($7, '{}'::text[]), $8, now())
         ON CONFLICT (platform_id, lms_context_id) DO UPDATE SET
           title = COALESCE($3, contexts.title),
           label = COALESCE($4, contexts.label),
           locale = COALESCE($5, contexts.locale),
           ags_lineitems_url = COALESCE($6, contexts.ags_lineitems_url),
           ags_scopes = COALESCE($7, contexts.ags_scopes),
           nrps_url = COALESCE($8, contexts.nrps_url),
           last_launch_at = now()
         RETURNING ${columns}`,
        [
          c.platformId,
          c.lmsContextId,
          c.title ?? null,
          c.label ?? null,
          c.locale ?? null,
          c.agsLineItemsUrl ?? null,
          c.agsScopes ?? null,
          c.nrpsUrl ?? null,
        ],
      );
      return rows[0]!;
    },
    async listWithGradebook() {
      const { rows } = await db.query<Context>(`SELECT ${columns} FROM contexts WHERE ags_lineitems_url IS NOT NULL ORDER BY id`);
      return rows;
    },
    async markSynced(id) {
      await db.query('UPDATE contexts SET last_synced_at = now() WHERE id = $1', [id]);
    },
    async setNrpsDifferencesUrl(id, url) {
      await db.query('UPDATE contexts SET nrps_differences_url = $2 WHERE id = $1', [id, url]);
    },
  };
}
