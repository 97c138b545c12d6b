/**
 * One run of the issuance benchmark on the database named by DATABASE_URL (or embedded
 * PGlite when unset): a course of N learners in the sandbox LMS whose quiz grades all
 * cross the threshold at once. Timed: from the AGS sync starting to every badge score
 * posted to the sandbox gradebook. Prints one JSON line.
 */
import { startSandboxLms } from '../src/sandbox-lms/index.ts';
import { startTestSello } from '../test/support/sandbox-lms/sello.ts';
import { seedGradedBigCourse } from '../test/support/issuance/graded-big-course.ts';
import { createAwardRepository } from '../src/storage/award-repository.ts';
import { createJobRepository } from '../src/storage/job-repository.ts';
import { createIssuanceWorker } from '../src/issuance/issuance-worker.ts';
import { createIssueCredentialSigner } from '../src/issuance/credential-signer.ts';
import { createAgsGradebook } from '../src/issuance/ags-gradebook.ts';
import { createCourseSync } from '../src/issuance/start-issuance.ts';
import { createLogger } from '../src/logger.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createOutboundFetch } from '../src/outbound/outbound-fetch.ts';
import { processCpuSeconds } from './figures.ts';

/** Sello's outbound client; the fakes listen on 127.0.0.1. */
const outboundFetch = createOutboundFetch({ allowPrivate: true });

const learners = Number(process.env.SELLO_BENCH_LEARNERS ?? 1000);
const concurrency = Number(process.env.SELLO_BENCH_CONCURRENCY ?? 8);
// On PostgreSQL, more Sello processes share the work (the scale-out deployment); the
// embedded database has one process by nature.
const extraWorkers = process.env.DATABASE_URL ? Number(process.env.SELLO_BENCH_EXTRA_WORKERS ?? 1) : 0;
const here = path.dirname(fileURLToPath(import.meta.url));

const extras: ChildProcess[] = [];
const lms = await startSandboxLms({ productFamily: 'moodle', pageSize: 100 });
// Embedded, the database lives in a data folder as a deployment's does (PGlite in memory
// would carry initdb's memory into the figures: bench/README.md, "Embedded memory").
const embeddedDataDir = process.env.DATABASE_URL ? undefined : fs.mkdtempSync(path.join(os.tmpdir(), 'sello-bench-embedded-'));
const sello = await startTestSello({ env: { LTI_DYNREG_AUTO_APPROVE: 'true' }, sleep: async () => {}, embeddedDataDir: embeddedDataDir && path.join(embeddedDataDir, 'pg') });
try {
  const { contextId, keys, badgeLineItemId } = await seedGradedBigCourse(lms, sello, learners);
  // Where the time goes (wall time summed over concurrent calls).
  const spent = { signMs: 0, postMs: 0 };
  const realSigner = createIssueCredentialSigner({ keys, publicUrl: sello.url, chainReference: { chainId: 31337, contract: '0x5FbDB2315678afecb367f032d93F642f64180aa3' } });
  const realGradebook = createAgsGradebook({ db: sello.db, services: sello.lti.services });
  const timed = async <T>(key: keyof typeof spent, work: () => Promise<T>) => {
    const t = performance.now();
    try {
      return await work();
    } finally {
      spent[key] += performance.now() - t;
    }
  };
  const worker = createIssuanceWorker({
    db: sello.db,
    signer: { sign: (p) => timed('signMs', () => realSigner.sign(p)), revoke: realSigner.revoke },
    gradebook: { postBadge: (p) => timed('postMs', () => realGradebook.postBadge(p)) },
    publicUrl: sello.url,
    defaultLocale: 'en',
    log: createLogger({ level: 'silent' }),
    concurrency,
    maxAttempts: 3,
  });
  for (let i = 0; i < extraWorkers; i += 1) {
    // The scale-out test's extra process: Sello's own worker, signer and gradebook.
    const child = spawn(process.execPath, [...process.execArgv, path.join(here, '..', 'bin', 'run-ts.js'), path.join(here, '..', 'test', 'support', 'issuance', 'worker-process.ts')], {
      env: {
        ...process.env,
        NODE_ENV: 'test',
        LOG_LEVEL: 'silent',
        PUBLIC_URL: sello.url,
        DATABASE_URL: `${process.env.DATABASE_URL}?options=${encodeURIComponent(`-c search_path=${sello.db.schema}`)}`,
        SELLO_KEK: sello.config.secrets.keyEncryptionKey!.toString('hex'),
        ADMIN_TOKEN: sello.adminToken,
        ISSUANCE_WORKERS: String(concurrency),
        // The sandbox LMS listens on 127.0.0.1, which Sello refuses to call by default.
        OUTBOUND_ALLOW_PRIVATE: 'true',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready\n') && resolve());
      child.once('exit', (code) => reject(new Error(`extra worker exited with ${code}`)));
    });
    extras.push(child);
  }
  const rssBefore = process.memoryUsage().rss;
  let rssPeak = rssBefore;
  // Where the peak's memory was: V8's heap, buffers outside it (PGlite's WebAssembly memory among them).
  let memoryAtPeak = process.memoryUsage();
  const sampler = setInterval(() => {
    const memory = process.memoryUsage();
    if (memory.rss > rssPeak) [rssPeak, memoryAtPeak] = [memory.rss, memory];
  }, 100);
  // SELLO_BENCH_PROFILE=file.cpuprofile: a CPU profile of the timed part only.
  const profileFile = process.env.SELLO_BENCH_PROFILE;
  const inspector = profileFile ? new (await import('node:inspector')).Session() : null;
  const post = (method: string, params?: object) =>
    new Promise<unknown>((resolve, reject) => inspector!.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result))));
  if (inspector) {
    inspector.connect();
    await post('Profiler.enable');
    await post('Profiler.start');
  }
  const started = performance.now();
  const cpuAtStart = process.cpuUsage();
  const extrasCpuAtStart = extras.map((child) => processCpuSeconds(child.pid!) ?? 0);
  const report = await createCourseSync({ db: sello.db, kek: sello.config.secrets.keyEncryptionKey!, ltiServices: sello.lti.services, fetch: outboundFetch })(contextId);
  const syncedS = (performance.now() - started) / 1000;
  await worker.runUntilIdle();
  // Other processes may still be finishing the jobs they claimed. A job parked as failed
  // ends the run with its error: the count it waits for would never come.
  const jobs = createJobRepository(sello.db);
  for (;;) {
    if ((await createAwardRepository(sello.db).countByState()).posted >= learners) break;
    const [failed] = await jobs.listFailed();
    if (failed) throw new Error(`an issuance job failed: ${failed.lastError ?? failed.parkedReason ?? 'no error recorded'}`);
    await worker.runUntilIdle();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const seconds = (performance.now() - started) / 1000;
  // CPU time of this process (all its threads) and of the extra worker processes: next
  // to the wall time it shows how much of a slow run was waiting for the machine.
  const cpu = process.cpuUsage(cpuAtStart);
  const extrasCpu = extras.reduce((sum, child, i) => sum + (processCpuSeconds(child.pid!) ?? 0) - extrasCpuAtStart[i]!, 0);
  clearInterval(sampler);
  if (inspector) {
    const { profile } = (await post('Profiler.stop')) as { profile: object };
    (await import('node:fs')).writeFileSync(profileFile!, JSON.stringify(profile));
  }
  // The badge column gets the link to the credential (a comment), no score.
  const posted = [...lms.results.values()].filter((result) => result.scoreOf === badgeLineItemId && String(result.comment).includes('/credentials/')).length;
  const { rows } = await sello.db.query<{ n: number }>('SELECT count(*)::int AS n FROM credentials');
  console.log(
    JSON.stringify({
      database: sello.db.schema ? 'postgres' : 'embedded',
      learners,
      seconds: Number(seconds.toFixed(2)),
      // This process (the sandbox LMS included) and the extra worker processes.
      cpuSeconds: Number(((cpu.user + cpu.system) / 1e6 + extrasCpu).toFixed(2)),
      extraWorkersCpuSeconds: Number(extrasCpu.toFixed(2)),
      syncSeconds: Number(syncedS.toFixed(2)),
      received: report.total.received,
      credentials: rows[0]!.n,
      posted,
      rssGrowthMb: Math.round((rssPeak - rssBefore) / 1e6),
      rssPeakMb: Math.round(rssPeak / 1e6),
      memoryAtPeakMb: Object.fromEntries(Object.entries(memoryAtPeak).map(([key, bytes]) => [key, Math.round(bytes / 1e6)])),
      processes: 1 + extraWorkers,
      signMsPerAward: Number((spent.signMs / learners).toFixed(1)),
      postMsPerAward: Number((spent.postMs / learners).toFixed(1)),
      lmsTokens: lms.tokensIssued,
      lmsRequests: lms.log.length,
    }),
  );
} finally {
  for (const child of extras) {
    if (child.exitCode !== null) continue;
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
  await sello.close();
  await lms.close();
  if (embeddedDataDir) fs.rmSync(embeddedDataDir, { recursive: true, force: true });
}
process.exit(0);
