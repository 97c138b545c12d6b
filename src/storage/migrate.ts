/**
 * Versioned migrations: `src/storage/migrations/NNNN_name.sql`, applied in name order,
 * each once, recorded in `schema_migrations`. They run at start-up and with
 * `npx sello migrate`.
 *
 * Numbering leaves room per capability so parallel work never collides:
 * 0001-0099 foundation, 0100 credentials, 0200 chain, 0300 lti, 0400 criteria,
 * outcomes and issuance.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { StorageError } from '../errors.ts';
import type { Database } from './database.ts';

const migrationsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

// Any constant works; it only has to be the same in every Sello process.
const MIGRATION_LOCK_KEY = 7_355_001;

export interface MigrationReport {
  applied: string[];
  alreadyApplied: number;
}

/** Names of the migration files shipped with this version, in order. */
export function listMigrations(): string[] {
  return fs
    .readdirSync(migrationsDir)
    .filter((name) => /^\d{4}_[a-z0-9_]+\.sql$/.test(name))
    .sort();
}

/**
 * Applies every migration not yet applied. Safe when several processes start at once:
 * they serialise on an advisory lock and each migration runs in its own transaction.
 *
 * @throws StorageError `migration_failed` naming the file and the database's message.
 */
export async function migrate(db: Database): Promise<MigrationReport> {
  await db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    name text PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`);
  const applied: string[] = [];
  let alreadyApplied = 0;
  for (const name of listMigrations()) {
    const done = await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
      const seen = await tx.query('SELECT 1 FROM schema_migrations WHERE name = $1', [name]);
      if (seen.rowCount > 0) return false;
      try {
        await tx.exec(fs.readFileSync(path.join(migrationsDir, name), 'utf8'));
      } catch (cause) {
        throw new StorageError('migration_failed', `Migration ${name} failed: ${(cause as Error).message}`, { name }, { cause });
      }
      await tx.query('INSERT INTO schema_migrations (name) VALUES ($1)', [name]);
      return true;
    });
    if (done) applied.push(name);
    else alreadyApplied += 1;
  }
  return { applied, alreadyApplied };
}
