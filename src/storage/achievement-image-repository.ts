/**
 * An achievement's own image (uploaded or designed in the page, migration 0510). The
 * image is written to `achievements.image_url` (a data: URI, what credentials carry) and
 * its origin to `achievement_images`, in one transaction.
 */
import type { Database } from './database.ts';

export interface AchievementImage {
  achievementId: string;
  source: 'upload' | 'design';
  mediaType: 'image/png' | 'image/svg+xml';
  /** The designer's fields when `source` is `design`. */
  design: Record<string, unknown> | null;
  byteSize: number;
  updatedBy: string | null;
  updatedAt: Date;
}

export interface AchievementImageRepository {
  find(achievementId: string): Promise<AchievementImage | null>;
  /** Sets the achievement's image; false when the achievement does not exist. */
  save(params: Omit<AchievementImage, 'updatedAt' | 'byteSize'> & { dataUri: string }): Promise<boolean>;
  /** Back to Sello's generated medal (no image of its own). */
  remove(achievementId: string): Promise<void>;
}

const columns = `achievement_id AS "achievementId", source, media_type AS "mediaType", design, byte_size AS "byteSize",
  updated_by AS "updatedBy", updated_at AS "updatedAt"`;

export function createAchievementImageRepository(db: Database): AchievementImageRepository {
  return {
    async find(achievementId) {
      const { rows } = await db.query<AchievementImage>(`SELECT ${columns} FROM achievement_images WHERE achievement_id = $1`, [achievementId]);
      return rows[0] ?? null;
    },
    async save({ achievementId, source, mediaType, design, updatedBy, dataUri }) {
      return db.transaction(async (tx) => {
        const { rowCount } = await tx.query('UPDATE achievements SET image_url = $2, updated_at = now() WHERE id = $1', [achievementId, dataUri]);
        if (rowCount === 0) return false;
        await tx.query(
          `INSERT INTO achievement_images (achievement_id, source, media_type, design, byte_size, updated_by)
           VALUES ($1, $2, $3, $4::jsonb, $5, $6)
           ON CONFLICT (achievement_id) DO UPDATE SET source = EXCLUDED.source, media_type = EXCLUDED.media_type,
             design = EXCLUDED.design, byte_size = EXCLUDED.byte_size, updated_by = EXCLUDED.updated_by, updated_at = now()`,
          [achievementId, source, mediaType, design === null ? null : JSON.stringify(design), Buffer.byteLength(dataUri), updatedBy],
        );
        return true;
      });
    },
    async remove(achievementId) {
      await db.transaction(async (tx) => {
        await tx.query('UPDATE achievements SET image_url = NULL, updated_at = now() WHERE id = $1', [achievementId]);
        await tx.query('DELETE FROM achievement_images WHERE achievement_id = $1', [achievementId]);
      });
    },
  };
}
