/**
 * A fresh, migrated database for one test file: on the PostgreSQL server named by
 * DATABASE_URL (in a schema of its own, dropped afterwards), else an in-memory PGlite
 * (or one in `embeddedDataDir`, as a deployment runs it: the benchmarks' memory figures).
 * Files can therefore run in parallel against one server.
 */
import crypto from 'node:crypto';
import { openDatabase, type Database } from '../../src/storage/database.ts';
import { migrate } from '../../src/storage/migrate.ts';

export interface TestDatabase extends Database {
  /** `pg` schema name, or null on PGlite. */
  readonly schema: string | null;
}

export const testDatabaseUrl: string | null = process.env.DATABASE_URL || null;

export async function openTestDatabase(options: { migrate?: boolean; embeddedDataDir?: string } = {}): Promise<TestDatabase> {
  let db: Database;
  let schema: string | null = null;
  if (testDatabaseUrl) {
    schema = `t_${crypto.randomBytes(6).toString('hex')}`;
    db = await openDatabase({ kind: 'postgres', url: testDatabaseUrl, poolMax: 5, schema });
  } else {
    db = await openDatabase({ kind: 'embedded', dataDir: options.embeddedDataDir ?? null });
  }
  if (options.migrate !== false) await migrate(db);
  const close = db.close.bind(db);
  return {
    ...db,
    schema,
    async close() {
      if (schema) await db.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {});
      await close();
    },
  };
}
