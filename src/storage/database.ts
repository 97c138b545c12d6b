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
   * One statement with `params` (`$1`...). On PostgreSQL a statement with parameters is
   * prepared once per connection and reused (see `createStatementNames`); PGlite plans
   * every time.
   */
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<Row>>;
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

/**
 * Names for the statements Sello runs with parameters on PostgreSQL, one per SQL text, so
 * that each connection parses and plans a statement once and then only binds and runs it.
 * Measured on the issuance of 1,000 learners by one process (bench/issuance-child.ts, two
 * runs each, bench/JOURNAL.md): PostgreSQL's CPU 2.75–3.13 s → 1.91–1.96 s, the run
 * 4.0–4.4 s → 3.7 s. At most `limit` texts are named (SQL built with a varying number
 * of placeholders must not fill every connection's memory); the others run unnamed.
 *
 * A prepared statement outlives a change of the tables it reads: when a newer Sello's
 * migration adds a column to a table read with `*` while this process runs (a rolling
 * upgrade), PostgreSQL refuses the old plan ("cached plan must not change result type").
 * The text then gets a new name, prepared afresh.
 */
export function createStatementNames(limit = 2000) {
  const names = new Map<string, string>();
  let next = 0;
  return {
    nameOf(sql: string): string | undefined {
      let name = names.get(sql);
      if (name === undefined && names.size < limit) names.set(sql, (name = `sello_${next++}`));
      return name;
    },
    /** A new name for `sql`, whose statement PostgreSQL no longer runs. */
    renew(sql: string): string {
      const name = `sello_${next++}`;
      names.set(sql, name);
      return name;
    },
  };
}

/** PostgreSQL's refusal of a prepared statement whose result columns changed since it was planned. */
function isStalePlan(error: unknown): boolean {
  return (error as { code?: string }).code === '0A000' && /cached plan must not change result type/.test((error as Error).message);
}

async function openPostgres(settings: { url: string; poolMax: number; preparedStatements?: boolean; schema?: string }): Promise<Database> {
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
  // Off for a pooler that cannot keep a connection's prepared statements (PgBouncer in
  // transaction mode before 1.21): DATABASE_PREPARED_STATEMENTS=false.
  const statements = settings.preparedStatements === false ? null : createStatementNames();
  /** `inTransaction`: a failed statement has aborted the transaction, so it is not run again there. */
  const wrap = (client: pg.Pool | pg.PoolClient, inTransaction: boolean): Queryable => ({
    async query<Row>(sql: string, params: readonly unknown[] = []) {
      const values = params as unknown[];
      // Without parameters pg uses the simple protocol, where a text may hold several statements.
      const name = statements && values.length > 0 ? statements.nameOf(sql) : undefined;
      let result: pg.QueryResult;
      try {
        result = name ? await client.query({ name, text: sql, values }) : await client.query(sql, values);
      } catch (error) {
        if (!name || !isStalePlan(error)) throw error;
        const renewed = statements!.renew(sql);
        if (inTransaction) throw error;
        result = await client.query({ name: renewed, text: sql, values });
      }
      return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
    },
    async exec(sql: string) {
      await client.query(sql);
    },
  });
  const base = wrap(pool, false);
  return {
    kind: 'postgres',
    ...base,
    async transaction(work) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await work(wrap(client, true));
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
