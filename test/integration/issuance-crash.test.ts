/**
 * Exactly once across crashes: a child Sello (`node bin/sello.js serve`) is killed by the
 * test hook SELLO_TEST_CRASH_AT at each step of the pipeline in turn, then restarted
 * cleanly; every award must end with one credential, one anchor entry, one token (for
 * the learner with a wallet) and one recorded pass through each state.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/storage/database.ts';
import { migrate } from '../../src/storage/migrate.ts';
import { ingestOutcomes } from '../../src/outcomes/ingest-outcomes.ts';
import { createAwardRepository } from '../../src/storage/award-repository.ts';
import { createUserRepository } from '../../src/storage/user-repository.ts';
import { openTestDatabase, testDatabaseUrl, type TestDatabase } from '../support/database.ts';
import { makeTempDir, testConfig } from '../support/config.ts';
import { seedCourse, type CourseFixture } from '../support/issuance/course-fixture.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const adminToken = 'test-admin-token-0123456789abcdef';
const learners = ['l0', 'l1', 'l2', 'l3', 'l4', 'l5'];
const crashPoints = ['after_award', 'after_sign', 'after_signed', 'after_post', 'after_posted'] as const;

let dataDir: string;
let shared: TestDatabase | null = null;
let course: CourseFixture;

/** The database as the test sees it: the shared PostgreSQL schema, or the child's data dir when embedded. */
async function withDb<T>(work: (db: Database) => Promise<T>): Promise<T> {
  if (shared) return work(shared);
  const db = await openDatabase({ kind: 'embedded', dataDir: path.join(dataDir, 'pg') });
  try {
    return await work(db);
  } finally {
    await db.close();
  }
}

function childEnv(crashAt: string | null): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    SELLO_DATA_DIR: dataDir,
    ADMIN_TOKEN: adminToken,
    SELLO_KEK: testConfig().secrets.keyEncryptionKey!.toString('hex'),
    ISSUANCE_LEASE_S: '1',
    ISSUANCE_WORKERS: '2',
    ANCHOR_BATCH_MAX_WAIT_S: '1',
    OUTCOMES_SYNC_INTERVAL_S: '3600',
  };
  if (crashAt) env.SELLO_TEST_CRASH_AT = crashAt;
  if (shared) env.DATABASE_URL = `${testDatabaseUrl}?options=${encodeURIComponent(`-c search_path=${shared.schema}`)}`;
  return env;
}

interface Child {
  process: ChildProcess;
  url: Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output: () => string;
}

function startChild(crashAt: string | null): Child {
  const child = spawn(process.execPath, [path.join(root, 'bin', 'sello.js'), 'serve'], { cwd: root, env: childEnv(crashAt), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const url = new Promise<string>((resolve) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /running at (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]!);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { process: child, url, exited, output: () => output };
}

async function stopChild(child: Child): Promise<void> {
  if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGTERM');
  const timer = setTimeout(() => child.process.kill('SIGKILL'), 15_000);
  await child.exited;
  clearTimeout(timer);
}

async function status(url: string): Promise<{ jobs: Record<string, number>; awards: Record<string, number> }> {
  const response = await fetch(`${url}/api/issuance/status`, { headers: { authorization: `Bearer ${adminToken}` } });
  return (await response.json()) as { jobs: Record<string, number>; awards: Record<string, number> };
}

beforeAll(async () => {
  dataDir = makeTempDir('sello-crash-');
  let db: Database;
  if (testDatabaseUrl) {
    shared = await openTestDatabase();
    db = shared;
  } else {
    db = await openDatabase({ kind: 'embedded', dataDir: path.join(dataDir, 'pg') });
    await migrate(db);
  }
  // No AGS in this course: the gradebook step runs and records its skip (AGS posting is
  // covered against the sandbox LMS in issuance-gradebook.test.ts).
  course = await seedCourse(db, { learners, lineItem: false });
  const first = (await createUserRepository(db).findBySub(course.platformId, 'l0'))!;
  await createUserRepository(db).setWallet(first.id, '0x000000000000000000000000000000000000dEaD');
  await ingestOutcomes({
    db,
    events: learners.map((learner) => ({
      platform: course.platformId,
      context: course.lmsContextId,
      learner,
      activity: 'quiz3',
      score: 95,
      max: 100,
      completed: null,
      at: new Date('2026-05-01T10:00:00Z'),
      source: 'webhook' as const,
    })),
  });
  if (!shared) await db.close();
}, 120_000);

afterAll(async () => {
  await shared?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('issuance across crashes', () => {
  it('finishes every award exactly once after the process is killed between each pair of steps', async () => {
    const crashed: string[] = [];
    for (const point of crashPoints) {
      const child = startChild(point);
      const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 60_000));
      const result = await Promise.race([child.exited, timeout]);
      if (result === 'timeout') await stopChild(child);
      else if (result.signal === 'SIGKILL') crashed.push(point);
      else throw new Error(`child exited unexpectedly (${JSON.stringify(result)}): ${child.output()}`);
    }
    // Each injected crash really happened (the pipeline reached that step each time).
    expect(crashed).toEqual([...crashPoints]);

    const child = startChild(null);
    try {
      const url = await child.url;
      const deadline = Date.now() + 90_000;
      for (;;) {
        const now = await status(url);
        if (now.awards.posted === learners.length && now.jobs.queued === 0 && now.jobs.running === 0) break;
        if (Date.now() > deadline) throw new Error(`pipeline did not finish: ${JSON.stringify(now)}\n${child.output()}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      // Anchoring and minting run in the background (batches wait at most 1 s here).
      await new Promise((resolve) => setTimeout(resolve, 6_000));
    } finally {
      await stopChild(child);
    }

    await withDb(async (db) => {
      const awards = await db.query<{ id: string; state: string; credential_id: string }>('SELECT id, state, credential_id FROM awards');
      expect(awards.rows).toHaveLength(learners.length);
      const credentials = await db.query<{ id: string }>('SELECT id FROM credentials ORDER BY id');
      expect(credentials.rows.map((row) => row.id)).toEqual(awards.rows.map((award) => `urn:uuid:${award.id}`).sort());
      for (const award of awards.rows) {
        expect(award.state).toBe('posted');
        const transitions = await createAwardRepository(db).listTransitions(award.id);
        expect(transitions.map((t) => `${t.fromState ?? '-'}>${t.toState}`)).toEqual(['->awarded', 'awarded>signed', 'signed>posted']);
      }
      const anchors = await db.query<{ n: number; distinct: number }>(
        'SELECT count(*)::int AS n, count(DISTINCT credential_id)::int AS distinct FROM credential_anchors',
      );
      expect(anchors.rows[0]).toEqual({ n: learners.length, distinct: learners.length });
      const mints = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM token_mints');
      expect(mints.rows[0]!.n).toBe(1);
    });
  }, 600_000);

  it('issues once when two Sello processes race on the same events (PostgreSQL), or refuses the second process (embedded)', async () => {
    await withDb(async (db) => {
      await ingestOutcomes({
        db,
        events: ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7'].map((learner) => ({
          platform: course.platformId,
          context: course.lmsContextId,
          learner,
          activity: 'quiz3',
          score: 99,
          max: 100,
          completed: null,
          at: new Date('2026-05-02T10:00:00Z'),
          source: 'webhook' as const,
        })),
      });
      // The racers need addresses to issue to.
      for (const sub of ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7']) {
        await createUserRepository(db).upsert({ platformId: course.platformId, sub, email: `${sub}@u.example` });
      }
    });
    // Independent of what ran before in this file: 8 more awards than there are now.
    const total = (await withDb(async (db) => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM awards')).rows[0]!.n)) + 8;
    const first = startChild(null);
    const second = startChild(null);
    try {
      if (shared) {
        const urls = await Promise.all([first.url, second.url]);
        const deadline = Date.now() + 90_000;
        for (;;) {
          const now = await status(urls[0]!);
          if (now.awards.posted === total && now.jobs.queued === 0 && now.jobs.running === 0) break;
          if (Date.now() > deadline) throw new Error(`pipeline did not finish: ${JSON.stringify(now)}`);
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      } else {
        // One embedded database has one owner: whichever process comes second stops with a clear message.
        const loser = await Promise.race([first.exited.then(() => first), second.exited.then(() => second)]);
        expect(loser.output()).toMatch(/in use by process \d+/);
        const winner = loser === first ? second : first;
        const url = await winner.url;
        const deadline = Date.now() + 90_000;
        for (;;) {
          const now = await status(url);
          if (now.awards.posted === total && now.jobs.queued === 0 && now.jobs.running === 0) break;
          if (Date.now() > deadline) throw new Error(`pipeline did not finish: ${JSON.stringify(now)}`);
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      }
    } finally {
      await Promise.all([stopChild(first), stopChild(second)]);
    }
    await withDb(async (db) => {
      const { rows } = await db.query<{ awards: number; credentials: number; transitions: number }>(
        `SELECT (SELECT count(*)::int FROM awards) AS awards, (SELECT count(*)::int FROM credentials) AS credentials,
                (SELECT count(*)::int FROM award_transitions) AS transitions`,
      );
      expect(rows[0]).toEqual({ awards: total, credentials: total, transitions: total * 3 });
    });
  }, 300_000);
});
