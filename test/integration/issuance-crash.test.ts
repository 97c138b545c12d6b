/**
 * Exactly once across crashes: a child Sello (`node bin/sello.js serve`) is killed by the
 * test hook SELLO_TEST_CRASH_AT at each step of the pipeline in turn, then restarted
 * cleanly; every award must end with one credential, one anchor entry, one token (for
 * the learner with a wallet), one recorded pass through each state and one badge score
 * in the gradebook of the sandbox LMS, which stays up across the restarts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/storage/database.ts';
import { ingestOutcomes } from '../../src/outcomes/ingest-outcomes.ts';
import { createAwardRepository, type Award } from '../../src/storage/award-repository.ts';
import { createUserRepository } from '../../src/storage/user-repository.ts';
import { openTestDatabase, testDatabaseUrl, type TestDatabase } from '../support/database.ts';
import { makeTempDir, testConfig } from '../support/config.ts';
import { seedCourse } from '../support/issuance/course-fixture.ts';
import { startSandboxLms, ROLE, type ResultRecord, type Sandbox } from '../../src/sandbox-lms/index.ts';
import { freePort } from '../support/free-port.ts';
import { startRpcNode } from './chain-rpc-node.ts';
import { replayJournal } from '../../src/chain/chain-journal.ts';
import { EMBEDDED_SIGNER_KEY } from '../../src/chain/embedded-chain.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const adminToken = 'test-admin-token-0123456789abcdef';
const keyEncryptionKey = testConfig().secrets.keyEncryptionKey!.toString('hex');
const learners = ['l0', 'l1', 'l2', 'l3'];
const crashPoints = ['after_award', 'after_sign', 'after_signed', 'after_post', 'after_posted'] as const;
const workers = 2;
const lmsCourseId = 'course-101';

let dataDir: string;
let shared: TestDatabase | null = null;
let lms: Sandbox;
/** One port and public URL for every crashed and restarted child: the LMS holds them (JWKS, launch URLs) in its registration. */
let port: number;
let publicUrl: string;
/** The achievement's "Badge: Data Literacy" line item in the LMS. */
let badgeLineItem: string;
/** The platform of the crash test's course (its learners' outcomes arrive in that test). */
let coursePlatformId: string;

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

/** `fixedPort`: the child answers at `publicUrl` (the LMS's registration); without it, any free port. */
function childEnv(crashAt: string | null, fixedPort: boolean, extraEnv: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'test',
    PORT: fixedPort ? String(port) : '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    SELLO_DATA_DIR: dataDir,
    ADMIN_TOKEN: adminToken,
    SELLO_KEK: keyEncryptionKey,
    ISSUANCE_LEASE_S: '1',
    ISSUANCE_WORKERS: String(workers),
    ANCHOR_BATCH_MAX_WAIT_S: '1',
    OUTCOMES_SYNC_INTERVAL_S: '3600',
    // The sandbox LMS listens on 127.0.0.1; on PostgreSQL Sello refuses private addresses by default.
    OUTBOUND_ALLOW_PRIVATE: 'true',
  };
  if (fixedPort) env.PUBLIC_URL = publicUrl;
  if (crashAt) env.SELLO_TEST_CRASH_AT = crashAt;
  if (shared) env.DATABASE_URL = `${testDatabaseUrl}?options=${encodeURIComponent(`-c search_path=${shared.schema}`)}`;
  return { ...env, ...extraEnv };
}

interface Child {
  process: ChildProcess;
  url: Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output: () => string;
}

function startChild(crashAt: string | null, { fixedPort = true, env = {} }: { fixedPort?: boolean; env?: NodeJS.ProcessEnv } = {}): Child {
  const child = spawn(process.execPath, [path.join(root, 'bin', 'sello.js'), 'serve'], {
    cwd: root,
    env: childEnv(crashAt, fixedPort, env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  // A process that stops before it serves fails the wait with what it said, at once.
  const url = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /running at (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]!);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    void exited.then(({ code, signal }) => reject(new Error(`Sello exited (${signal ?? code}) before it served:\n${output}`)));
  });
  // Callers that never await `url` (crash runs) must not leave its rejection unhandled.
  url.catch(() => {});
  return { process: child, url, exited, output: () => output };
}

/** The child's URL once it serves; fails with what it said if it has not within `ms`. */
async function servingUrl(child: Child, ms: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Sello did not serve within ${ms} ms:\n${child.output()}`)), ms);
  });
  try {
    return await Promise.race([child.url, late]);
  } finally {
    clearTimeout(timer);
  }
}

async function stopChild(child: Child): Promise<void> {
  if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGTERM');
  const timer = setTimeout(() => child.process.kill('SIGKILL'), 15_000);
  await child.exited;
  clearTimeout(timer);
}

async function status(url: string): Promise<{ jobs: Record<string, number>; awards: Record<string, number> }> {
  // Bounded: a process that stopped answering fails the test with a reason instead of hanging it.
  const response = await fetch(`${url}/api/issuance/status`, { headers: { authorization: `Bearer ${adminToken}` }, signal: AbortSignal.timeout(20_000) });
  return (await response.json()) as { jobs: Record<string, number>; awards: Record<string, number> };
}

/** Sello's awards with their learner's LMS id, as the test reads them from the database. */
async function awardsOfLearners(db: Database): Promise<Array<Award & { sub: string }>> {
  const { rows } = await db.query<{ id: string; sub: string }>('SELECT a.id, u.sub FROM awards a JOIN users u ON u.id = a.user_id');
  return Promise.all(rows.map(async (row) => ({ ...(await createAwardRepository(db).findById(row.id))!, sub: row.sub })));
}

/** What an award's gradebook post writes: no grade, its credential's link, stamped with the award's own time. */
function badgeScore(award: Award & { sub: string }): Partial<ResultRecord> {
  return {
    scoreOf: badgeLineItem,
    userId: award.sub,
    resultScore: undefined,
    resultMaximum: undefined,
    activityProgress: 'Completed',
    gradingProgress: 'FullyGraded',
    comment: `Badge earned: Data Literacy — ${publicUrl}/credentials/${encodeURIComponent(award.credentialId!)}`,
    timestamp: award.createdAt.toISOString(),
  };
}

/**
 * The LMS gradebook and Sello agree at any moment: every award recorded as posted has its
 * score in the LMS (a crash never loses a post), and every score in the LMS is its
 * learner's badge. A process killed between the post and recording it (after_post)
 * leaves a `signed` award whose score is already there.
 */
function expectGradebookAgrees(awards: Array<Award & { sub: string }>): void {
  const results = [...lms.results.values()].filter((result) => result.scoreOf === badgeLineItem);
  for (const result of results) {
    const award = awards.find((candidate) => candidate.sub === result.userId);
    expect(award?.state, `score for ${result.userId}`).toMatch(/^(signed|posted)$/);
    expect(result).toMatchObject(badgeScore(award!));
  }
  for (const award of awards.filter((candidate) => candidate.state === 'posted')) {
    expect(results.find((result) => result.userId === award.sub), `score for posted award of ${award.sub}`).toMatchObject(badgeScore(award));
  }
}

beforeAll(async () => {
  dataDir = makeTempDir('sello-crash-');
  if (testDatabaseUrl) shared = await openTestDatabase();
  port = await freePort();
  publicUrl = `http://127.0.0.1:${port}`;

  // The LMS: the course with its learners and the badge's line item, as Deep Linking the
  // badge into the course leaves it. It outlives every child, as a real LMS would.
  lms = await startSandboxLms({ productFamily: 'moodle' });
  lms.addCourse({ id: lmsCourseId, title: 'Data Literacy' });
  for (const sub of learners) {
    lms.addUser({ sub });
    lms.enroll(lmsCourseId, sub, [ROLE.learner]);
  }
  badgeLineItem = `${lms.url}/courses/${lmsCourseId}/lineitems/1`;
  lms.lineItems.set(badgeLineItem, { id: badgeLineItem, courseId: lmsCourseId, label: 'Badge: Data Literacy', scoreMaximum: 100, resourceLinkId: 'rl-1' });

  // Each side registers the other, the platform through a child's admin API (ltijs keeps
  // the platform and the tool's key pair in the database, so every later child has them).
  const registration = lms.registerToolManually({ loginUrl: `${publicUrl}/lti/login`, launchUrl: `${publicUrl}/lti/launch`, jwksUrl: `${publicUrl}/lti/keys`, deploymentId: '1' });
  const setup = startChild(null);
  try {
    const added = await fetch(`${await setup.url}/admin/api/platforms`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ issuer: lms.issuer, clientId: registration.clientId, authUrl: `${lms.url}/auth`, tokenUrl: `${lms.url}/token`, jwksUrl: `${lms.url}/jwks`, deploymentId: '1', product: 'moodle' }),
    });
    if (added.status !== 201) throw new Error(`platform registration failed (${added.status}): ${await added.text()}`);
  } finally {
    await stopChild(setup);
  }

  await withDb(async (db) => {
    const course = await seedCourse(db, {
      learners,
      lmsContextId: lmsCourseId,
      platform: { iss: lms.issuer, clientId: registration.clientId },
      agsLineItemsUrl: `${lms.url}/courses/${lmsCourseId}/lineitems`,
      lineItem: badgeLineItem,
    });
    const first = (await createUserRepository(db).findBySub(course.platformId, 'l0'))!;
    await createUserRepository(db).setWallet(first.id, '0x000000000000000000000000000000000000dEaD');
    coursePlatformId = course.platformId;
  });
}, 120_000);

afterAll(async () => {
  await lms?.close();
  await shared?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('issuance across crashes', () => {
  it('finishes every award exactly once after the process is killed between each pair of steps', async () => {
    // Every learner passes; the awards are this test's alone (the race below runs without them).
    await withDb((db) =>
      ingestOutcomes({
        db,
        events: learners.map((learner) => ({
          platform: coursePlatformId,
          context: lmsCourseId,
          learner,
          activity: 'quiz3',
          score: 95,
          max: 100,
          completed: null,
          at: new Date('2026-05-01T10:00:00Z'),
          source: 'webhook' as const,
        })),
      }),
    );
    const crashed: string[] = [];
    for (const point of crashPoints) {
      const child = startChild(point);
      const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 60_000));
      const result = await Promise.race([child.exited, timeout]);
      if (result === 'timeout') await stopChild(child);
      else if (result.signal === 'SIGKILL') crashed.push(point);
      else throw new Error(`child exited unexpectedly (${JSON.stringify(result)}): ${child.output()}`);
      await withDb(async (db) => expectGradebookAgrees(await awardsOfLearners(db)));
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

      // One gradebook score: the LMS holds exactly one result per learner on the badge's
      // line item, the badge at 100 with the link to that learner's credential.
      const posted = await awardsOfLearners(db);
      expectGradebookAgrees(posted);
      const results = [...lms.results.values()].filter((result) => result.scoreOf === badgeLineItem);
      expect(results.map((result) => result.userId).sort()).toEqual([...learners].sort());
      // AGS scores replace one another, so an award killed after its post but before
      // recording it (after_post) posts again on restart. Moodle refuses that repeat with
      // 409 (its grade is not older than the score's timestamp), which Sello takes as
      // done; were it accepted, the history would show the very same score once more.
      // Never a second line item.
      const history = lms.scores.filter((score) => score.scoreOf === badgeLineItem);
      for (const score of history) expect(score).toEqual(results.find((result) => result.userId === score.userId));
      expect(history.length).toBeLessThanOrEqual(learners.length + crashPoints.length * workers);
      expect([...lms.lineItems.keys()]).toEqual([badgeLineItem]);
      expect(lms.log.filter((entry) => entry.status >= 400 && !(entry.status === 409 && entry.path.endsWith('/scores')))).toEqual([]);
    });
  }, 600_000);

  it('issues once when two Sello processes race on the same events (PostgreSQL), or refuses the second process (embedded)', async () => {
    await withDb(async (db) => {
      // A course without AGS: both racers run on ports of their own, where the LMS could not reach their keys.
      const raceCourse = await seedCourse(db, { lmsContextId: 'course-race', learners: [], lineItem: false });
      await ingestOutcomes({
        db,
        events: ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7'].map((learner) => ({
          platform: raceCourse.platformId,
          context: raceCourse.lmsContextId,
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
        await createUserRepository(db).upsert({ platformId: raceCourse.platformId, sub, email: `${sub}@u.example` });
      }
    });
    // Independent of what ran before in this file: 8 more awards than there are now.
    const total = (await withDb(async (db) => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM awards')).rows[0]!.n)) + 8;
    // On PostgreSQL the two racers are a scale-out deployment, which shares one chain: an
    // embedded chain is each process's own, and one racer's start-up transaction, recorded
    // in the shared database before it reached the journal, made the other's chain refuse
    // the next nonce and stop it before it served ("Nonce too high"). Their chain is an
    // RPC node that has replayed the journal of the crash runs before them.
    const node = shared ? await startRpcNode() : null;
    if (node) await replayJournal({ db: shared!, request: node.chain.request, chainId: node.chain.chainId });
    const chainEnv: NodeJS.ProcessEnv = node ? { CHAIN_RPC_URL: node.url, CHAIN_SIGNER_KEY: EMBEDDED_SIGNER_KEY, CHAIN_CONFIRMATIONS: '0' } : {};
    const first = startChild(null, { fixedPort: false, env: chainEnv });
    const second = startChild(null, { fixedPort: false, env: chainEnv });
    try {
      if (shared) {
        const urls = await Promise.all([first, second].map((child) => servingUrl(child, 120_000)));
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
      await node?.close();
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
