/**
 * The pipeline's job runner: claims ready jobs with `FOR UPDATE SKIP LOCKED` (so any
 * number of Sello processes on one database share the work without taking the same
 * job), runs them a few at a time, and on failure puts them back with exponential
 * backoff and jitter, parking them as `failed` (with the last error, retryable from the
 * admin page) after `maxAttempts`.
 */
import crypto from 'node:crypto';
import { createWakeableSleep } from '../wakeable-sleep.ts';
import os from 'node:os';
import type { Logger } from '../logger.ts';
import type { Database } from '../storage/database.ts';
import { createJobRepository, type Job } from '../storage/job-repository.ts';
import { advanceAward } from './advance-award.ts';
import { evaluateLearner } from './evaluate-learner.ts';
import { parkReasonOf } from './issuance-error.ts';
import { createRoundLookups, type RoundLookups } from './round-lookups.ts';
import type { CommentLocale } from './badge-comment.ts';
import type { AwardCredentialSigner, CrashHook, GradebookPoster } from './ports.ts';

export interface IssuanceWorkerParameters {
  db: Database;
  signer: AwardCredentialSigner;
  gradebook: GradebookPoster;
  publicUrl: string;
  defaultLocale: CommentLocale;
  log: Logger;
  /** Jobs run at the same time by this process (config.issuance.workers). */
  concurrency: number;
  /** Attempts before a job is parked as `failed` (config.issuance.maxAttempts). */
  maxAttempts: number;
  /** How long a claim lasts; a dead process's jobs are claimed again after it. */
  leaseMs?: number;
  /** First retry delay; doubles each attempt up to `maxBackoffMs`, with jitter. */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** Sleep when there is nothing to do (new work also wakes the worker through `poke`). */
  idlePollMs?: number;
  now?: () => Date;
  random?: () => number;
  crashAt?: CrashHook;
  workerId?: string;
}

export interface IssuanceWorker {
  readonly workerId: string;
  /** Runs in the background until `stop`. */
  start(): void;
  /** Finishes the jobs in hand, then stops. */
  stop(): Promise<void>;
  /** Wakes an idle worker at once (after queueing work in this process). */
  poke(): void;
  /** Runs until no job is ready (tests, CLI sync); returns how many jobs ran. */
  runUntilIdle(): Promise<number>;
}

/** Delay before attempt `attempts + 1`: base·2^(attempts-1), capped, times a jitter in [0.5, 1). */
export function backoffDelay({ attempts, baseMs, maxMs, random }: { attempts: number; baseMs: number; maxMs: number; random: () => number }): number {
  const exponential = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(exponential * (0.5 + random() * 0.5));
}

export function createIssuanceWorker(parameters: IssuanceWorkerParameters): IssuanceWorker {
  const {
    db,
    log,
    concurrency,
    maxAttempts,
    leaseMs = 5 * 60_000,
    baseBackoffMs = 2_000,
    maxBackoffMs = 30 * 60_000,
    idlePollMs = 1_000,
    now = () => new Date(),
    random = Math.random,
    crashAt,
  } = parameters;
  const workerId = parameters.workerId ?? `${os.hostname()}:${process.pid}:${crypto.randomBytes(3).toString('hex')}`;
  const jobs = createJobRepository(db);
  let running = false;
  let loop: Promise<void> | null = null;
  const { sleep, wake } = createWakeableSleep();

  const runJob = async (job: Job, lookups: RoundLookups) => {
    if (job.kind === 'evaluate') {
      const { contextId, userId } = job.payload as { contextId: string; userId: string };
      const report = await evaluateLearner({ db, contextId, userId, now: now(), crashAt, lookups });
      for (const awardId of report.awarded) log.info({ awardId, contextId, userId }, 'badge awarded');
      for (const awardId of report.revoking) log.info({ awardId, contextId, userId }, 'badge below criteria: revoking');
      // New awards are queued in the same transaction; running them now saves a round trip.
    } else {
      const { awardId } = job.payload as { awardId: string };
      await advanceAward({
        db,
        awardId,
        signer: parameters.signer,
        gradebook: parameters.gradebook,
        publicUrl: parameters.publicUrl,
        defaultLocale: parameters.defaultLocale,
        now,
        crashAt,
        lookups,
        log,
      });
    }
  };

  /** Runs a job; true when it is done (its row is deleted with the round's others). */
  const settle = async (job: Job, lookups: RoundLookups): Promise<boolean> => {
    try {
      await runJob(job, lookups);
      return true;
    } catch (error) {
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      // What no retry can heal parks at once, with its reason; it heals when the missing
      // data arrives (see requeueHealed in the job repository).
      const reason = parkReasonOf(error);
      const park = reason !== null || job.attempts >= maxAttempts;
      const delayMs = park ? 0 : backoffDelay({ attempts: job.attempts, baseMs: baseBackoffMs, maxMs: maxBackoffMs, random });
      if (park) log.info({ job: job.id, kind: job.kind, key: job.key, attempts: job.attempts, reason: reason ?? 'attempts_exhausted' }, 'issuance job parked');
      if (reason === null) log.warn({ job: job.id, kind: job.kind, key: job.key, attempts: job.attempts, park, err: error }, 'issuance job failed');
      await jobs.fail({ id: job.id, workerId, error: message, delayMs, park, reason });
      return false;
    }
  };

  /** One round: claim a batch and run it with bounded concurrency. Returns jobs run. */
  const round = async (): Promise<number> => {
    const claimed = await jobs.claim({ workerId, limit: concurrency * 4, leaseMs });
    const lookups = createRoundLookups(db);
    const done: number[] = [];
    let next = 0;
    try {
      await Promise.all(
        Array.from({ length: Math.min(concurrency, claimed.length) }, async () => {
          while (next < claimed.length) {
            const job = claimed[next++]!;
            if (await settle(job, lookups)) done.push(job.id);
          }
        }),
      );
    } finally {
      // One statement for the round's finished jobs. Should the process die first, they
      // run again when their lease runs out, and every step is safe to repeat.
      await jobs.complete(done, workerId);
    }
    return claimed.length;
  };


  return {
    workerId,
    start() {
      if (running) return;
      running = true;
      loop = (async () => {
        while (running) {
          try {
            if ((await round()) > 0) continue;
            const nextAt = await jobs.nextRunAfter();
            const wait = nextAt ? Math.max(10, Math.min(idlePollMs, nextAt.getTime() - Date.now())) : idlePollMs;
            if (running) await sleep(wait);
          } catch (error) {
            log.error({ err: error }, 'issuance worker round failed');
            if (running) await sleep(idlePollMs);
          }
        }
      })();
    },
    async stop() {
      running = false;
      wake();
      await loop;
      loop = null;
    },
    poke() {
      wake();
    },
    async runUntilIdle() {
      let total = 0;
      for (;;) {
        const ran = await round();
        total += ran;
        if (ran === 0) return total;
      }
    },
  };
}
