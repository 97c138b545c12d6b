import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStatementNames, openDatabase, type Queryable } from '../../src/storage/database.ts';
import { listMigrations, migrate } from '../../src/storage/migrate.ts';
import { createSettingsRepository } from '../../src/storage/settings-repository.ts';
import { createAuditRepository } from '../../src/storage/audit-repository.ts';
import { hasCode } from '../../src/errors.ts';
import { openTestDatabase, testDatabaseUrl, type TestDatabase } from '../support/database.ts';
import { makeTempDir } from '../support/config.ts';

describe(`storage on ${testDatabaseUrl ? 'PostgreSQL' : 'embedded PGlite'}`, () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase();
  });
  afterAll(async () => {
    await db.close();
  });

  it('applies each migration once', async () => {
    const again = await migrate(db);
    expect(again.applied).toEqual([]);
    expect(again.alreadyApplied).toBe(listMigrations().length);
  });

  it('stores and replaces settings as JSON', async () => {
    const settings = createSettingsRepository(db);
    expect(await settings.get('missing')).toBeNull();
    await settings.set('greeting', { en: 'hello', es: 'hola' });
    await settings.set('greeting', { en: 'hi', es: 'hola' });
    expect(await settings.get('greeting')).toEqual({ en: 'hi', es: 'hola' });
  });

  it('rolls back a transaction that throws and keeps what committed', async () => {
    const settings = createSettingsRepository(db);
    await expect(
      db.transaction(async (tx) => {
        await createSettingsRepository(tx).set('rolled-back', 1);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await settings.get('rolled-back')).toBeNull();
    await db.transaction((tx) => createSettingsRepository(tx).set('committed', 2));
    expect(await settings.get('committed')).toBe(2);
  });

  it('enforces unique constraints', async () => {
    await db.exec('CREATE TABLE uniq_probe (k text PRIMARY KEY)');
    await db.query('INSERT INTO uniq_probe VALUES ($1)', ['a']);
    await expect(db.query('INSERT INTO uniq_probe VALUES ($1)', ['a'])).rejects.toMatchObject({ code: '23505' });
  });

  it('runs a statement again with other parameters, on every connection of the pool at once', async () => {
    const sql = 'SELECT $1::int * 2 AS doubled';
    const results = await Promise.all(Array.from({ length: 24 }, (_, i) => db.query<{ doubled: number }>(sql, [i])));
    expect(results.map((result) => result.rows[0]!.doubled)).toEqual(Array.from({ length: 24 }, (_, i) => i * 2));
    expect((await db.query<{ doubled: number }>(sql, [50])).rows).toEqual([{ doubled: 100 }]);
  });

  it('lets one holder of a named lock work at a time, and frees the lock when the work throws', async () => {
    const events: string[] = [];
    const hold = (name: string, fail = false) =>
      db.withLock('storage-test-lock', async () => {
        events.push(`${name} in`);
        await new Promise((resolve) => setTimeout(resolve, 30));
        events.push(`${name} out`);
        if (fail) throw new Error(`${name} failed`);
        return name;
      });
    const results = await Promise.allSettled([hold('a', true), hold('b'), hold('c')]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'fulfilled', 'fulfilled']);
    // Never two inside at once: every "in" is followed by its own "out".
    for (let i = 0; i < events.length; i += 2) expect(events[i + 1]).toBe(events[i]!.replace(' in', ' out'));
    expect(events).toHaveLength(6);
    await expect(db.withLock('storage-test-lock', async () => 'free again')).resolves.toBe('free again');
  });

  it('keeps an audit trail per subject in order', async () => {
    const audit = createAuditRepository(db);
    await audit.record({ actor: 'admin', action: 'credential.revoked', subject: 'urn:uuid:1', reason: 'fraud' });
    await audit.record({ actor: 'admin', action: 'credential.unrevoked', subject: 'urn:uuid:1', details: { ticket: 7 } });
    const entries = await audit.listForSubject('urn:uuid:1');
    expect(entries.map((entry) => entry.action)).toEqual(['credential.revoked', 'credential.unrevoked']);
    expect(entries[0]!.reason).toBe('fraud');
    expect(entries[1]!.details).toEqual({ ticket: 7 });
    expect(entries[0]!.at).toBeInstanceOf(Date);
  });
});

describe('embedded database on disk', () => {
  const dir = makeTempDir();
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('keeps data across a close and reopen of the same data dir', async () => {
    const dataDir = path.join(dir, 'pg');
    const first = await openDatabase({ kind: 'embedded', dataDir });
    await migrate(first);
    await createSettingsRepository(first).set('kept', { across: 'restarts' });
    await first.close();
    const second = await openDatabase({ kind: 'embedded', dataDir });
    expect(await createSettingsRepository(second).get('kept')).toEqual({ across: 'restarts' });
    await second.close();
  });

  it('refuses a second opener of a data dir that is in use', async () => {
    const dataDir = path.join(dir, 'pg2');
    const owner = await openDatabase({ kind: 'embedded', dataDir });
    try {
      await openDatabase({ kind: 'embedded', dataDir }).then(
        () => expect.unreachable(),
        (error) => {
          expect(hasCode(error, 'database_locked')).toBe(true);
          expect(error.message).toMatch(/in use|already open/);
        },
      );
    } finally {
      await owner.close();
    }
    const reopened = await openDatabase({ kind: 'embedded', dataDir });
    await reopened.close();
  });

  it('creates a new data dir in a child process, so the process that serves holds far less memory', async () => {
    // PGlite's initdb grows the WebAssembly memory of the process it runs in to 800+ MB
    // for good; a process that opens an existing data dir holds about 215 MB.
    const dataDir = path.join(dir, 'fresh', 'pg');
    const probe = await runProbe(dataDir);
    expect(probe.sharedBuffers).toBe('32MB');
    expect(probe.rssMb).toBeLessThan(500);
    expect(fs.existsSync(path.join(dataDir, 'PG_VERSION'))).toBe(true);
    expect(fs.readdirSync(path.dirname(dataDir)).filter((name) => name.includes('initdb'))).toEqual([]);
    // And the next start opens what the first made.
    const again = await openDatabase({ kind: 'embedded', dataDir });
    expect(await createSettingsRepository(again).get('missing')).toBeNull();
    await again.close();
  });

  it('removes what an interrupted first start left and creates the data dir again', async () => {
    const dataDir = path.join(dir, 'interrupted', 'pg');
    fs.mkdirSync(`${dataDir}.initdb/base`, { recursive: true });
    fs.writeFileSync(`${dataDir}.initdb/PG_VERSION`, '17');
    fs.mkdirSync(dataDir, { recursive: true });
    const db = await openDatabase({ kind: 'embedded', dataDir });
    await migrate(db);
    await db.close();
    expect(fs.existsSync(`${dataDir}.initdb`)).toBe(false);
    expect(fs.existsSync(path.join(dataDir, 'global', 'pg_control'))).toBe(true);
  });

  it('refuses a data dir that holds other files and no database, and leaves them', async () => {
    const dataDir = path.join(dir, 'occupied', 'pg');
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(path.join(dataDir, 'notes.txt'), 'mine');
    await openDatabase({ kind: 'embedded', dataDir }).then(
      () => expect.unreachable(),
      (error) => {
        expect(hasCode(error, 'database_unreachable')).toBe(true);
        expect(error.message).toMatch(/not empty and holds no PostgreSQL cluster/);
      },
    );
    expect(fs.readFileSync(path.join(dataDir, 'notes.txt'), 'utf8')).toBe('mine');
    expect(fs.existsSync(path.join(path.dirname(dataDir), 'sello.lock'))).toBe(false);
  });

  it('takes over a lock left by a process that no longer exists', async () => {
    const dataDir = path.join(dir, 'pg3');
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'sello.lock'), '999999');
    const db = await openDatabase({ kind: 'embedded', dataDir });
    await db.close();
    expect(fs.existsSync(path.join(dir, 'sello.lock'))).toBe(false);
  });
});

/** Runs test/support/storage/embedded-rss-probe.ts in a process of its own. */
function runProbe(dataDir: string): Promise<{ rssMb: number; sharedBuffers: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [path.resolve('bin/run-ts.js'), path.resolve('test/support/storage/embedded-rss-probe.ts'), dataDir],
      { timeout: 120_000 },
      (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(JSON.parse(stdout.trim().split('\n').pop()!))),
    );
  });
}

describe('statement names for PostgreSQL', () => {
  it('names each text once, at most `limit` of them; the rest run unnamed', () => {
    const names = createStatementNames(2);
    const first = names.nameOf('SELECT $1');
    expect(names.nameOf('SELECT $1')).toBe(first);
    expect(names.nameOf('SELECT $1, $2')).not.toBe(first);
    expect(names.nameOf('SELECT $1, $2, $3')).toBeUndefined();
    const renewed = names.renew('SELECT $1');
    expect(renewed).not.toBe(first);
    expect(names.nameOf('SELECT $1')).toBe(renewed);
  });
});

describe.skipIf(!testDatabaseUrl)('prepared statements (PostgreSQL only: PGlite plans every statement)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase();
  });
  afterAll(async () => {
    await db?.close();
  });
  const preparedCount = (tx: Queryable, sql: string) =>
    tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_prepared_statements WHERE statement = '${sql.replaceAll("'", "''")}'`).then(({ rows }) => rows[0]!.n);

  it('prepares a statement with parameters once per connection and runs it again from there', async () => {
    const sql = 'SELECT $1::int + 40 AS answer';
    await db.transaction(async (tx) => {
      expect((await tx.query<{ answer: number }>(sql, [2])).rows).toEqual([{ answer: 42 }]);
      expect((await tx.query<{ answer: number }>(sql, [3])).rows).toEqual([{ answer: 43 }]);
      expect(await preparedCount(tx, sql)).toBe(1);
    });
  });

  it('prepares again a statement whose result columns changed under it (a newer Sello migrated while this one runs)', async () => {
    await db.exec('CREATE TABLE prepared_probe (k text PRIMARY KEY); INSERT INTO prepared_probe VALUES (\'a\')');
    const sql = 'SELECT * FROM prepared_probe WHERE k = $1';
    // On every connection of the pool.
    await Promise.all(Array.from({ length: 12 }, () => db.query(sql, ['a'])));
    await db.exec('ALTER TABLE prepared_probe ADD COLUMN extra int DEFAULT 7');
    const after = await Promise.all(Array.from({ length: 12 }, () => db.query(sql, ['a'])));
    for (const { rows } of after) expect(rows).toEqual([{ k: 'a', extra: 7 }]);
    // In a transaction the refusal aborts it, as any conflict does; the next one prepares anew.
    await db.exec('ALTER TABLE prepared_probe ADD COLUMN more int DEFAULT 8');
    const attempts = await Promise.all(
      Array.from({ length: 6 }, () => db.transaction((tx) => tx.query(sql, ['a'])).then((result) => result.rows, (error: { code?: string }) => error.code)),
    );
    for (const attempt of attempts) if (typeof attempt === 'string') expect(attempt).toBe('0A000');
    const again = await Promise.all(Array.from({ length: 6 }, () => db.transaction((tx) => tx.query(sql, ['a']))));
    for (const { rows } of again) expect(rows).toEqual([{ k: 'a', extra: 7, more: 8 }]);
  });

  it('prepares nothing with DATABASE_PREPARED_STATEMENTS=false (a pooler that cannot keep them)', async () => {
    const unprepared = await openDatabase({ kind: 'postgres', url: testDatabaseUrl!, poolMax: 1, preparedStatements: false, schema: db.schema ?? undefined });
    try {
      const sql = 'SELECT $1::int + 1 AS next';
      await unprepared.transaction(async (tx) => {
        expect((await tx.query<{ next: number }>(sql, [1])).rows).toEqual([{ next: 2 }]);
        expect(await preparedCount(tx, sql)).toBe(0);
      });
    } finally {
      await unprepared.close();
    }
  });
});

describe('PostgreSQL connection failures', () => {
  it('name the URL (without its password) and the cause in one line', async () => {
    const error = await openDatabase({ kind: 'postgres', url: 'postgres://sello:secret@127.0.0.1:1/nowhere', poolMax: 1 }).catch(
      (e) => e,
    );
    expect(hasCode(error, 'database_unreachable')).toBe(true);
    expect(error.message).toMatch(/^Cannot connect to PostgreSQL at postgres:\/\/sello:\*\*\*@127\.0\.0\.1:1\/nowhere: /);
    expect(error.message).not.toMatch(/secret/);
    expect(error.message).not.toMatch(/\n/);
  });
});
