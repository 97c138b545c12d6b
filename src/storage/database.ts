/**
 * Sello's one query layer: parameterised SQL over either a PostgreSQL server (`pg`) or
 * PostgreSQL compiled to WebAssembly running in-process (PGlite). One dialect, one set
 * of migrations, one set of repositories for both.
 *
 * Why not an ORM: Sello's hot paths (work queues with `FOR UPDATE SKIP LOCKED`, upserts
 * guarded by unique constraints) are plain PostgreSQL; a 100-line adapter keeps them
 * readable and identical on both back ends.
 */
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { StorageError } from '../errors.ts';
import { embeddedStartParams, ensureEmbeddedDataDir } from './embedded-data-dir.ts';
import type { DatabaseSettings } from '../config.ts';

export interface QueryResult<Row> {
  rows: Row[];
  rowCount: number;
}

/** Anything that runs SQL: the database itself or a transaction on it. */
export interface Queryable {
  /**
   * `prepared` names the statement so that each PostgreSQL connection plans it once and
   * reuses the plan: for the few statements run on every request of a hot path. The same
   * name must always go with the same SQL. PGlite plans every time.
   */
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[], options?: { prepared?: string }): Promise<QueryResult<Row>>;
  /** Runs several statements with no parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Database extends Queryable {
  readonly kind: 'embedded' | 'postgres';
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Runs `work` while holding the lock named `key`, shared by every process on this
   * database: a PostgreSQL session-level advisory lock on a connection of its own (so
   * `work` may use any other; the lock goes with the session if the process dies), or,
   * embedded, an in-process queue (one process owns an embedded database). For work
   * outside the database that must happen once, like creating an LMS line item.
   */
  withLock<T>(key: string, work: () => Promise<T>): Promise<T>;
  /** Cheap liveness probe for /health. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export type OpenDatabaseParameters = DatabaseSettings & {
  /** PostgreSQL schema to use (tests give each file its own); created when missing. */
  schema?: string;
};

// pg returns int8 as string to avoid precision loss; Sello's int8 columns are counters
// and epoch milliseconds, all far below 2^53, so numbers are what callers expect.
pg.types.setTypeParser(20, (value) => Number(value));

/**
 * Opens the database described by the settings.
 *
 * @throws StorageError `database_unreachable` (one line naming the URL and the cause),
 *   `database_locked` when another process holds the embedded data directory.
 */
export async function openDatabase(settings: OpenDatabaseParameters): Promise<Database> {
  return settings.kind === 'postgres' ? openPostgres(settings) : openEmbedded(settings);
}

/** The URL with its password hidden, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

async function openPostgres(settings: { url: string; poolMax: number; schema?: string }): Promise<Database> {
  const schema = settings.schema;
  if (schema && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new TypeError(`bad schema name ${schema}`);
  const pool = new pg.Pool({
    connectionString: settings.url,
    max: settings.poolMax,
    connectionTimeoutMillis: 5000,
    options: schema ? `-c search_path=${schema}` : undefined,
  });
  // An idle client's error (server restart) must not crash the process; the next query reports it.
  pool.on('error', () => {});
  try {
    if (schema) await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    else await pool.query('SELECT 1');
  } catch (cause) {
    await pool.end().catch(() => {});
    const reason = cause instanceof Error ? cause.message || (cause as { code?: string }).code : String(cause);
    throw new StorageError(
      'database_unreachable',
      `Cannot connect to PostgreSQL at ${redactUrl(settings.url)}: ${reason}`,
      { url: redactUrl(settings.url) },
      { cause },
    );
  }
  const wrap = (client: pg.Pool | pg.PoolClient): Queryable => ({
    async query<Row>(sql: string, params: readonly unknown[] = [], options: { prepared?: string } = {}) {
      const result = options.prepared
        ? await client.query({ name: options.prepared, text: sql, values: params as unknown[] })
        : await client.query(sql, params as unknown[]);
      return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
    },
    async exec(sql: string) {
      await client.query(sql);
    },
  });
  const base = wrap(pool);
  return {
    kind: 'postgres',
    ...base,
    async transaction(work) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await work(wrap(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    async withLock(key, work) {
      const client = await pool.connect();
      try {
        await client.query('SELECT pg_advisory_lock(hashtext($1))', [key]);
        try {
          return await work();
        } finally {
          await client.query('SELECT pg_advisory_unlock(hashtext($1))', [key]);
        }
      } finally {
        client.release();
      }
    },
    async ping() {
      await pool.query('SELECT 1');
    },
    async close() {
      await pool.end();
    },
  };
}

async function openEmbedded(settings: { dataDir: string | null; schema?: string }): Promise<Database> {
  // dataDir null: an in-memory database (tests).
  let releaseLock = () => {};
  if (settings.dataDir) {
    fs.mkdirSync(path.dirname(path.resolve(settings.dataDir)), { recursive: true });
    releaseLock = acquireDataDirLock(settings.dataDir);
  }
  let db: PGlite;
  try {
    // A new data directory is made in a child process (initdb's memory stays with it).
    if (settings.dataDir) await ensureEmbeddedDataDir(settings.dataDir);
    db = await PGlite.create({ dataDir: settings.dataDir ?? undefined, startParams: embeddedStartParams() });
  } catch (cause) {
    releaseLock();
    if (cause instanceof StorageError) throw cause;
    throw new StorageError(
      'database_unreachable',
      `Cannot open the embedded database in ${settings.dataDir ?? '(memory)'}: ${(cause as Error).message}`,
      { dataDir: settings.dataDir },
      { cause },
    );
  }
  const wrap = (client: Pick<PGlite, 'query' | 'exec'>): Queryable => ({
    async query<Row>(sql: string, params: readonly unknown[] = []) {
      const result = await client.query<Row>(sql, params as unknown[]);
      // PGlite reports affectedRows 0 for SELECT; pg reports the row count there.
      return { rows: result.rows, rowCount: Math.max(result.affectedRows ?? 0, result.rows.length) };
    },
    async exec(sql: string) {
      await client.exec(sql);
    },
  });
  let closed = false;
  const held = new Map<string, Promise<unknown>>();
  return {
    kind: 'embedded',
    ...wrap(db),
    transaction: (work) => db.transaction((tx) => work(wrap(tx))),
    async withLock(key, work) {
      const before = held.get(key) ?? Promise.resolve();
      const mine = before.catch(() => {}).then(work);
      const tail = mine.catch(() => {});
      held.set(key, tail);
      try {
        return await mine;
      } finally {
        if (held.get(key) === tail) held.delete(key);
      }
    },
    async ping() {
      if (closed) throw new StorageError('database_unreachable', 'The embedded database is closed');
      await db.query('SELECT 1');
    },
    async close() {
      if (closed) return;
      closed = true;
      await db.close();
      releaseLock();
    },
  };
}

/**
 * PGlite's data directory must have one owner: a second process opening it would corrupt
 * it. The lock is a file holding the owner's pid, created atomically; a lock left by a
 * process that no longer exists is taken over.
 */
function acquireDataDirLock(dataDir: string): () => void {
  const lockPath = path.join(path.dirname(path.resolve(dataDir)), 'sello.lock');
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      fs.writeFileSync(lockPath, String(process.pid), { flag: 'wx', mode: 0o600 });
      return () => fs.rmSync(lockPath, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(fs.readFileSync(lockPath, 'utf8').trim());
      if (owner && owner !== process.pid && isAlive(owner)) {
        throw new StorageError(
          'database_locked',
          `The embedded database in ${dataDir} is in use by process ${owner} (a running Sello?). ` +
            'Stop it first, or use its admin API, or set DATABASE_URL to share a PostgreSQL server.',
          { dataDir, pid: owner },
        );
      }
      if (owner === process.pid) {
        throw new StorageError('database_locked', `The embedded database in ${dataDir} is already open in this process`, {
          dataDir,
        });
      }
      fs.rmSync(lockPath, { force: true });
    }
  }
  throw new StorageError('database_locked', `Could not lock the embedded database in ${dataDir}`, { dataDir });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
