import type { Queryable } from './database.ts';

/** Small instance-wide values kept between restarts (JSON), by key. */
export interface SettingsRepository {
  get<T>(key: string): Promise<T | null>;
  set<T>(key: string, value: T): Promise<void>;
}

export function createSettingsRepository(db: Queryable): SettingsRepository {
  return {
    async get<T>(key: string) {
      const { rows } = await db.query<{ value: T }>('SELECT value FROM settings WHERE key = $1', [key]);
      return rows[0]?.value ?? null;
    },
    async set<T>(key: string, value: T) {
      await db.query(
        `INSERT INTO settings (key, value, updated_at) VALUES ($1, $2::jsonb, now())
         ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
        [key, JSON.stringify(value)],
      );
    },
  };
}
