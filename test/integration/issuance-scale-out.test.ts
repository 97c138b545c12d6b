/**
 * Scale-out: Sello processes share one PostgreSQL and claim issuance jobs with
 * FOR UPDATE SKIP LOCKED. Three worker processes start on a course whose learners all
 * pass at once; while their badge scores are held at the LMS (so the run is still going),
 * a fourth process joins. It must take work (sign some of the credentials), and every
 * award must still be issued exactly once: one credential each, no award signed by two
 * processes, every learner's badge score in the gradebook.
 *
 * PostgreSQL only: the embedded database (PGlite) lives inside one process, so no
 * second Sello process can share it. Without DATABASE_URL there is nothing to test here.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandboxLms, type Sandbox } from '../../src/sandbox-lms/index.ts';
import { startTestSello, type RunningTestSello } from '../support/sandbox-lms/sello.ts';
import { testDatabaseUrl } from '../support/database.ts';
import { seedGradedBigCourse } from '../support/issuance/graded-big-course.ts';
import { createCourseSync } from '../../src/issuance/start-issuance.ts';
import { createOutboundFetch } from '../../src/outbound/outbound-fetch.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const learners = 60;

interface WorkerProcess {
  child: ChildProcess;
  signed: Set<string>;
}

describe.skipIf(!testDatabaseUrl)('issuance across Sello processes on one PostgreSQL (needs DATABASE_URL: one embedded database cannot be shared by processes)', () => {
  let lms: Sandbox;
  let lmsServer: http.Server;
  let sello: RunningTestSello;
  const workers: WorkerProcess[] = [];
  /** Badge scores wait here until released, as a slow gradebook would keep them. */
  let held: Array<() => void> | null = [];

  const startWorker = async (): Promise<WorkerProcess> => {
    const child = spawn(process.execPath, [path.join(root, 'bin', 'run-ts.js'), path.join(root, 'test', 'support', 'issuance', 'worker-process.ts')], {
      cwd: root,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NODE_ENV: 'test',
        LOG_LEVEL: 'silent',
        PUBLIC_URL: sello.url,
        DATABASE_URL: `${testDatabaseUrl}?options=${encodeURIComponent(`-c search_path=${sello.db.schema}`)}`,
        SELLO_KEK: sello.config.secrets.keyEncryptionKey!.toString('hex'),
        ADMIN_TOKEN: sello.adminToken,
        ISSUANCE_WORKERS: '2',
        OUTBOUND_ALLOW_PRIVATE: 'true',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const worker: WorkerProcess = { child, signed: new Set() };
    workers.push(worker);
    await new Promise<void>((resolve, reject) => {
      readline.createInterface({ input: child.stdout! }).on('line', (line) => {
        if (line === 'ready') resolve();
        const signed = /^signed (.+)$/.exec(line);
        if (signed) {
          // Signed twice by one process counts too: a set would hide it.
          expect(worker.signed.has(signed[1]!), `award ${signed[1]} signed twice by one process`).toBe(false);
          worker.signed.add(signed[1]!);
        }
      });
      child.once('exit', (code) => reject(new Error(`worker process exited with ${code}`)));
    });
    return worker;
  };

  const until = async (what: string, check: () => Promise<boolean> | boolean, timeoutMs = 180_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  beforeAll(async () => {
    lmsServer = http.createServer((req, res) => handler(req, res));
    let handler: http.RequestListener = (_req, res) => res.end();
    await new Promise<void>((resolve) => lmsServer.listen(0, '127.0.0.1', resolve));
    const created = await createSandboxLms({ productFamily: 'moodle', pageSize: 100, url: `http://127.0.0.1:${(lmsServer.address() as AddressInfo).port}` });
    lms = created.sandbox;
    handler = (req, res) => {
      if (held && req.method === 'POST' && /\/scores$/.test(req.url ?? '')) held.push(() => created.app(req, res));
      else created.app(req, res);
    };
    sello = await startTestSello({ env: { LTI_DYNREG_AUTO_APPROVE: 'true', OUTBOUND_ALLOW_PRIVATE: 'true' } });
  }, 120_000);

  afterAll(async () => {
    releaseHeld();
    for (const { child } of workers) {
      if (child.exitCode !== null) continue;
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    await sello?.close();
    lmsServer?.closeAllConnections();
    await new Promise((resolve) => lmsServer?.close(resolve));
  }, 60_000);

  function releaseHeld() {
    const waiting = held ?? [];
    held = null;
    for (const release of waiting) release();
  }

  it('lets a fourth process that joins mid-run take work, and issues every award exactly once', async () => {
    const { contextId, badgeLineItemId } = await seedGradedBigCourse(lms, sello, learners);

    const first = await Promise.all([startWorker(), startWorker(), startWorker()]);
    await createCourseSync({ db: sello.db, kek: sello.config.secrets.keyEncryptionKey!, ltiServices: sello.lti.services, fetch: createOutboundFetch({ allowPrivate: true }) })(contextId);
    // The run is under way: the first processes sign, and their badge scores wait at the LMS.
    await until('the first processes to sign', () => first.some((worker) => worker.signed.size > 0));
    const joined = await startWorker();
    await until('the joining process to sign', () => joined.signed.size > 0);
    releaseHeld();

    const countPosted = async () => (await sello.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM awards WHERE state = 'posted'`)).rows[0]!.n;
    await until(`all ${learners} awards posted`, async () => (await countPosted()) === learners);

    const { rows: awards } = await sello.db.query<{ id: string; credential_id: string | null }>(`SELECT id, credential_id FROM awards`);
    expect(awards).toHaveLength(learners);
    const { rows: credentials } = await sello.db.query<{ n: number; distinct_awards: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT a.id)::int AS distinct_awards FROM credentials c JOIN awards a ON a.credential_id = c.id`,
    );
    expect(credentials[0]).toEqual({ n: learners, distinct_awards: learners });
    expect((await sello.db.query<{ n: number }>('SELECT count(*)::int AS n FROM credentials')).rows[0]!.n).toBe(learners);
    // No award signed by two processes, and together they signed every award.
    const signedBy = workers.flatMap((worker) => [...worker.signed]);
    expect(new Set(signedBy).size).toBe(signedBy.length);
    expect(new Set(signedBy)).toEqual(new Set(awards.map((award) => award.id)));
    expect(joined.signed.size).toBeGreaterThan(0);
    // Every learner has the badge, with the link to their credential, in the gradebook.
    const badgeResults = [...lms.results.values()].filter((result) => result.scoreOf === badgeLineItemId && String(result.comment).includes('/credentials/'));
    expect(new Set(badgeResults.map((result) => result.userId))).toEqual(new Set(Array.from({ length: learners }, (_, i) => `l${i}`)));
  }, 300_000);
});
