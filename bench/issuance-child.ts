/**
 * One run of the issuance benchmark on the database named by DATABASE_URL (or embedded
 * PGlite when unset): a course of N learners in the sandbox LMS whose quiz grades all
 * cross the threshold at once. Timed: from the AGS sync starting to every badge score
 * posted to the sandbox gradebook. Prints one JSON line.
 *
 * On PostgreSQL, this process runs the sandbox LMS and a Sello (the sync and a worker),
 * and SELLO_BENCH_EXTRA_WORKERS more Sello processes share the jobs. Embedded, Sello runs
 * alone in a process of its own (bench/issuance-sello.ts, which owns the data folder) and
 * this one holds the sandbox LMS: the embedded run's peak RSS is Sello's, not the LMS's
 * 10,000 learners and results.
 */
import { startSandboxLms } from '../src/sandbox-lms/index.ts';
import { startTestSello } from '../test/support/sandbox-lms/sello.ts';
import { seedGradedBigCourse } from '../test/support/issuance/graded-big-course.ts';
import { freePort } from '../test/support/free-port.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineCpuSeconds, postgresCpuSeconds, processCpuSeconds, processPeakRssMb } from './figures.ts';
import { runTimedIssuance, type TimedIssuanceResult } from './timed-issuance.ts';
import { giveCpuShare, type CpuShare } from './cpu-share.ts';

const learners = Number(process.env.SELLO_BENCH_LEARNERS ?? 1000);
const concurrency = Number(process.env.SELLO_BENCH_CONCURRENCY ?? 8);
// On PostgreSQL, more Sello processes share the work (the scale-out deployment); the
// embedded database has one process by nature.
const extraWorkers = process.env.DATABASE_URL ? Number(process.env.SELLO_BENCH_EXTRA_WORKERS ?? 1) : 0;
// On PostgreSQL, SELLO_BENCH_WARM_LEARNERS more learners of the course pass first and get
// their badges through every process, untimed: the timed run then meets processes past
// their start-up (JIT, connections, caches), as a deployment's long-running ones are.
const warmLearners = process.env.DATABASE_URL ? Number(process.env.SELLO_BENCH_WARM_LEARNERS ?? 0) : 0;
// SELLO_BENCH_CPU_PER_PROCESS=0.4: each Sello process (this one, with the sandbox LMS,
// and each extra one) gets that many cores' worth of CPU time, from the warm-up on, as a
// machine of its own would give it (bench/cpu-share.ts); unset, they share the machine.
const cpuPerProcess = process.env.SELLO_BENCH_CPU_PER_PROCESS ? Number(process.env.SELLO_BENCH_CPU_PER_PROCESS) : null;
const here = path.dirname(fileURLToPath(import.meta.url));
const runTs = path.join(here, '..', 'bin', 'run-ts.js');
const mb = (bytes: number) => Math.round(bytes / 1e6);

const extras: ChildProcess[] = [];
const shares: Array<{ release(): void }> = [];
let selloProcess: ChildProcess | null = null;
const lms = await startSandboxLms({ productFamily: 'moodle', pageSize: 100 });
// Embedded, the database lives in a data folder as a deployment's does (PGlite in memory
// would carry initdb's memory into the figures: bench/JOURNAL.md, "Embedded memory").
const embeddedDataDir = process.env.DATABASE_URL ? undefined : fs.mkdtempSync(path.join(os.tmpdir(), 'sello-bench-embedded-'));
// Embedded, the Sello that seeds the course listens on the port the Sello process will
// serve on, so the URL the LMS registered (its JWKS among them) stays Sello's.
const port = embeddedDataDir ? await freePort() : 0;
// SELLO_BENCH_EMBEDDED_CLUSTER: an empty PostgreSQL cluster made once for the whole bench
// (bench/issuance.bench.ts), copied here instead of each run making its own: initdb is
// 4-5 CPU-s a run, none of it timed. Sello then migrates the copy as on a first start.
if (embeddedDataDir && process.env.SELLO_BENCH_EMBEDDED_CLUSTER) fs.cpSync(process.env.SELLO_BENCH_EMBEDDED_CLUSTER, path.join(embeddedDataDir, 'pg'), { recursive: true });
const sello = await startTestSello({ env: { LTI_DYNREG_AUTO_APPROVE: 'true' }, sleep: async () => {}, embeddedDataDir: embeddedDataDir && path.join(embeddedDataDir, 'pg'), port });
// Embedded, the seeding Sello closes before the Sello process opens the data folder.
let selloOpen = true;
try {
  const { contextId, keys, badgeLineItemId } = await seedGradedBigCourse(lms, sello, warmLearners + learners);
  const database = sello.db.schema ? 'postgres' : 'embedded';
  if (embeddedDataDir) {
    await sello.close();
    selloOpen = false;
    selloProcess = spawn(process.execPath, [...process.execArgv, runTs, path.join(here, 'issuance-sello.ts')], {
      env: { ...process.env, SELLO_BENCH_DATA_DIR: path.join(embeddedDataDir, 'pg'), SELLO_BENCH_PORT: String(port) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    await nextMessage(selloProcess);
  }
  // The scale-out test's extra processes (Sello's own worker, signer and gradebook), started together.
  const startExtra = async () => {
    const child = spawn(process.execPath, [...process.execArgv, runTs, path.join(here, '..', 'test', 'support', 'issuance', 'worker-process.ts')], {
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
    extras.push(child);
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready\n') && resolve());
      child.once('exit', (code) => reject(new Error(`extra worker exited with ${code}`)));
    });
  };
  await Promise.all(Array.from({ length: extraWorkers }, startExtra));
  if (cpuPerProcess !== null) {
    for (const pid of [process.pid, ...extras.map((child) => child.pid!)]) {
      const share = giveCpuShare(pid, cpuPerProcess);
      if ('unavailable' in share) throw new Error(`SELLO_BENCH_CPU_PER_PROCESS=${cpuPerProcess}: ${share.unavailable}`);
      shares.push(share);
    }
  }
  let extrasCpuAtStart: number[] = [];
  let cpuAtStart = process.cpuUsage();
  // What the whole machine and the PostgreSQL server spent meanwhile: whether the run was
  // waiting for cores (a run with more processes than cores shows it), and the database's
  // share of the work, which no Node process counts.
  let machineAtStart = machineCpuSeconds();
  let postgresAtStart = database === 'postgres' ? postgresCpuSeconds() : null;
  const onStart = () => {
    cpuAtStart = process.cpuUsage();
    extrasCpuAtStart = extras.map((child) => processCpuSeconds(child.pid!) ?? 0);
    machineAtStart = machineCpuSeconds();
    postgresAtStart = database === 'postgres' ? postgresCpuSeconds() : null;
  };
  let run: TimedIssuanceResult;
  // Embedded: the Sello process's own VmHWM; on PostgreSQL, this process's sampled peak (the LMS's memory included).
  let selloPeakRssMb: number | null = null;
  let selloPeaks: { peakRssAtReadyMb: number | null; peakRssBeforeCloseMb: number | null } | null = null;
  if (selloProcess) {
    onStart();
    const answer = nextMessage(selloProcess);
    selloProcess.send({ contextId, learners, concurrency });
    const message = (await answer) as
      | { result: TimedIssuanceResult; peakRssMb: number | null; peakRssAtReadyMb: number | null; peakRssBeforeCloseMb: number | null }
      | { error: string };
    if ('error' in message) throw new Error(`the Sello process failed: ${message.error}`);
    [run, selloPeakRssMb, selloPeaks] = [message.result, message.peakRssMb, message];
  } else {
    if (warmLearners > 0) {
      // Only the first `warmLearners` have their grades in the LMS for the warm-up; the
      // others' grades appear for the timed run (learner subs are l0, l1, ...).
      const later = [...lms.results].filter(([, result]) => Number(result.userId.slice(1)) >= warmLearners);
      for (const [id] of later) lms.results.delete(id);
      await runTimedIssuance({ sello, keys, contextId, learners: warmLearners, concurrency });
      for (const [id, result] of later) lms.results.set(id, result);
    }
    run = await runTimedIssuance({ sello, keys, contextId, learners, concurrency, onStart, alreadyPosted: warmLearners });
  }
  // CPU time of this process (all its threads), of the Sello process (its own count) and
  // of the extra workers: next to the wall time it shows how much of a slow run was
  // waiting for the machine.
  const cpu = process.cpuUsage(cpuAtStart);
  const thisCpu = (cpu.user + cpu.system) / 1e6;
  const selloCpu = selloProcess ? run.cpuSeconds : 0;
  const extrasCpu = extras.reduce((sum, child, i) => sum + (processCpuSeconds(child.pid!) ?? 0) - extrasCpuAtStart[i]!, 0);
  const machineAtEnd = machineCpuSeconds();
  const machineBusyPercent =
    machineAtStart && machineAtEnd && machineAtEnd.total > machineAtStart.total
      ? Math.round((100 * (machineAtEnd.busy - machineAtStart.busy)) / (machineAtEnd.total - machineAtStart.total))
      : null;
  const postgresAtEnd = postgresAtStart === null ? null : postgresCpuSeconds();
  // A server process that exits meanwhile takes its CPU time with it (another run's backends, in a quick run's
  // parallel groups): a difference below zero says only that, and is not reported.
  const postgresCpu =
    postgresAtStart === null || postgresAtEnd === null || postgresAtEnd < postgresAtStart ? null : Number((postgresAtEnd - postgresAtStart).toFixed(2));
  // The badge column gets the link to the credential (a comment), no score.
  const posted = [...lms.results.values()].filter((result) => result.scoreOf === badgeLineItemId && String(result.comment).includes('/credentials/')).length - warmLearners;
  console.log(
    JSON.stringify({
      database,
      learners,
      seconds: Number(run.seconds.toFixed(2)),
      // All processes: this one (the sandbox LMS, and on PostgreSQL a Sello), the Sello process and the extra workers.
      cpuSeconds: Number((thisCpu + selloCpu + extrasCpu).toFixed(2)),
      extraWorkersCpuSeconds: Number(extrasCpu.toFixed(2)),
      // Every core of the machine, neighbours included; and the local PostgreSQL server's processes (all its clients).
      machineBusyPercent,
      ...(postgresCpu !== null ? { postgresCpuSeconds: postgresCpu } : {}),
      ...(selloProcess ? { selloCpuSeconds: Number(selloCpu.toFixed(2)), lmsProcessCpuSeconds: Number(thisCpu.toFixed(2)) } : {}),
      syncSeconds: Number(run.syncSeconds.toFixed(2)),
      received: run.received,
      credentials: run.credentials,
      posted,
      // Embedded: of the Sello process, whose peak is its VmHWM (its whole life, start included).
      rssGrowthMb: mb(run.rssPeak - run.rssBefore),
      rssPeakMb: selloPeakRssMb ?? mb(run.rssPeak),
      rssPeakOf: selloProcess ? 'the Sello process (VmHWM), without the sandbox LMS' : 'the process with the sandbox LMS and a Sello (sampled)',
      ...(selloProcess ? { rssPeakAtStartMb: selloPeaks?.peakRssAtReadyMb, rssPeakBeforeCloseMb: selloPeaks?.peakRssBeforeCloseMb, lmsProcessRssPeakMb: processPeakRssMb(process.pid) } : {}),
      memoryAtPeakMb: Object.fromEntries(Object.entries(run.memoryAtPeak).map(([key, bytes]) => [key, mb(bytes)])),
      processes: 1 + extraWorkers + (selloProcess ? 1 : 0),
      ...(cpuPerProcess !== null ? { cpuPerProcess } : {}),
      ...(warmLearners > 0 ? { warmUpLearners: warmLearners } : {}),
      signMsPerAward: Number(run.signMsPerAward.toFixed(1)),
      postMsPerAward: Number(run.postMsPerAward.toFixed(1)),
      lmsTokens: lms.tokensIssued,
      lmsRequests: lms.log.length,
    }),
  );
} finally {
  for (const share of shares) share.release();
  for (const child of [...extras, ...(selloProcess ? [selloProcess] : [])]) {
    if (child.exitCode !== null) continue;
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
  if (selloOpen) await sello.close();
  await lms.close();
  if (embeddedDataDir) fs.rmSync(embeddedDataDir, { recursive: true, force: true });
}
process.exit(0);

/** The child's next IPC message; its exit before one rejects. */
function nextMessage(child: ChildProcess): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`the Sello process exited with ${code} before it answered`));
    child.once('exit', onExit);
    child.once('message', (message) => {
      child.off('exit', onExit);
      resolve(message);
    });
  });
}
