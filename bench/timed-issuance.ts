/**
 * The timed part of an issuance bench run, in the process that runs Sello's issuance: the
 * course sync, then Sello's issuance worker until every learner's badge is posted (other
 * processes may share the jobs). With the time the signer and the gradebook took, this
 * process's CPU time and the memory it held while it ran (sampled every 100 ms).
 * SELLO_BENCH_PROFILE=file.cpuprofile writes a CPU profile of the timed part.
 */
import { createAwardRepository } from '../src/storage/award-repository.ts';
import { createJobRepository } from '../src/storage/job-repository.ts';
import { createIssuanceWorker } from '../src/issuance/issuance-worker.ts';
import { createIssueCredentialSigner } from '../src/issuance/credential-signer.ts';
import { createAgsGradebook } from '../src/issuance/ags-gradebook.ts';
import { createCourseSync } from '../src/issuance/start-issuance.ts';
import type { IssuerKeyProvider } from '../src/issuance/issuer-keys.ts';
import { createLogger } from '../src/logger.ts';
import { createOutboundFetch } from '../src/outbound/outbound-fetch.ts';
import type { RunningTestSello } from '../test/support/sandbox-lms/sello.ts';

export interface TimedIssuanceParameters {
  sello: RunningTestSello;
  keys: IssuerKeyProvider;
  contextId: string;
  learners: number;
  concurrency: number;
  /** Called as the clock starts (the caller reads other processes' CPU time). */
  onStart?: () => void;
  /** Badges of this course already posted before the run (an untimed warm-up's). */
  alreadyPosted?: number;
}

export interface TimedIssuanceResult {
  seconds: number;
  syncSeconds: number;
  /** CPU seconds of this process (all its threads) over the timed part. */
  cpuSeconds: number;
  received: number;
  credentials: number;
  signMsPerAward: number;
  postMsPerAward: number;
  rssBefore: number;
  rssPeak: number;
  /** process.memoryUsage() at the sampled peak: V8's heap, buffers outside it (PGlite's WebAssembly memory among them). */
  memoryAtPeak: NodeJS.MemoryUsage;
}

export async function runTimedIssuance({ sello, keys, contextId, learners, concurrency, onStart, alreadyPosted = 0 }: TimedIssuanceParameters): Promise<TimedIssuanceResult> {
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
  const rssBefore = process.memoryUsage().rss;
  let rssPeak = rssBefore;
  let memoryAtPeak = process.memoryUsage();
  const sampler = setInterval(() => {
    const memory = process.memoryUsage();
    if (memory.rss > rssPeak) [rssPeak, memoryAtPeak] = [memory.rss, memory];
  }, 100);
  const profileFile = process.env.SELLO_BENCH_PROFILE;
  const inspector = profileFile ? new (await import('node:inspector')).Session() : null;
  const post = (method: string, params?: object) =>
    new Promise<unknown>((resolve, reject) => inspector!.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result))));
  if (inspector) {
    inspector.connect();
    await post('Profiler.enable');
    await post('Profiler.start');
  }
  try {
    const started = performance.now();
    const cpuAtStart = process.cpuUsage();
    onStart?.();
    // Sello's outbound client; the sandbox LMS listens on 127.0.0.1.
    const fetch = createOutboundFetch({ allowPrivate: true });
    const report = await createCourseSync({ db: sello.db, kek: sello.config.secrets.keyEncryptionKey!, ltiServices: sello.lti.services, fetch })(contextId);
    const syncSeconds = (performance.now() - started) / 1000;
    await worker.runUntilIdle();
    // Other processes may still be finishing the jobs they claimed. A job parked as failed
    // ends the run with its error: the count it waits for would never come.
    const jobs = createJobRepository(sello.db);
    for (;;) {
      if ((await createAwardRepository(sello.db).countByState()).posted >= alreadyPosted + learners) break;
      const [failed] = await jobs.listFailed();
      if (failed) throw new Error(`an issuance job failed: ${failed.lastError ?? failed.parkedReason ?? 'no error recorded'}`);
      await worker.runUntilIdle();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuAtStart);
    const { rows } = await sello.db.query<{ n: number }>('SELECT count(*)::int AS n FROM credentials');
    return {
      seconds,
      syncSeconds,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      received: report.total.received,
      credentials: rows[0]!.n - alreadyPosted,
      signMsPerAward: spent.signMs / learners,
      postMsPerAward: spent.postMs / learners,
      rssBefore,
      rssPeak,
      memoryAtPeak,
    };
  } finally {
    clearInterval(sampler);
    if (inspector) {
      const { profile } = (await post('Profiler.stop')) as { profile: object };
      (await import('node:fs')).writeFileSync(profileFile!, JSON.stringify(profile));
    }
  }
}
