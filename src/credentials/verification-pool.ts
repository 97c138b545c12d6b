/**
 * `createVerificationPool`: `verifyCredential` and `verifyPresentation` run in worker
 * threads (`verify-worker.ts`), so that verifying an untrusted document never blocks the
 * event loop, with a deadline per request (see `worker-pool.ts` for the pool's rules).
 *
 * The caller passes the same options as to `verifyCredential`, except that instead of a
 * document loader it lends `resolveDid`: the worker builds the offline document loader
 * itself (bundled contexts) and calls back for DIDs, status lists, the anchor checker
 * and any other function-valued option (or object of async methods, such as a chain
 * reader), by name.
 */
import { availableParallelism } from 'node:os';
import { createWorkerPool, type RemoteFunctions, type WorkerPoolStats } from './worker-pool.ts';
import type { DidResolver } from './document-loader.ts';
import type { VerificationReport, VerifyCredentialOptions } from './verify.ts';
import type { PresentationReport } from './verify-presentation.ts';

/** What crosses to the worker for one verification. */
export interface VerificationJob {
  kind: 'credential' | 'presentation';
  input: unknown;
  /** The caller's clock, read when the job was submitted (ISO 8601). */
  now?: string;
  challenge?: string;
  domain?: string;
  /** Names of the functions the worker may call back (`name` or `object.method`). */
  remote: string[];
}

/** `VerifyCredentialOptions` without the document loader, plus the DID resolver it would use. */
export type VerificationSources = Omit<VerifyCredentialOptions, 'documentLoader'> & { resolveDid: DidResolver };

export interface VerificationPool {
  /** @throws CredentialError `verification_timeout`, `verification_unavailable` (both 503). */
  verifyCredential(input: unknown, sources: VerificationSources): Promise<VerificationReport>;
  /** @throws CredentialError `verification_timeout`, `verification_unavailable` (both 503). */
  verifyPresentation(input: unknown, sources: VerificationSources & { challenge?: string; domain?: string }): Promise<PresentationReport>;
  stats(): WorkerPoolStats;
  /** Starts the workers now (each loads the JSON-LD stack: a second or two). */
  warm(): void;
  close(): Promise<void>;
}

export interface VerificationPoolOptions {
  /** Workers; default one per core but one, at least one (the main thread keeps a core for everything else). */
  size?: number;
  /** Deadline per verification, in milliseconds. */
  deadlineMs: number;
  maxQueue?: number;
}

/** One worker per core but one, at least one. */
export function defaultVerificationWorkers(): number {
  return Math.max(1, availableParallelism() - 1);
}

/** Own and inherited methods of an object (a class instance's methods live on its prototype). */
function methodsOf(value: object): string[] {
  const names = new Set<string>();
  for (let current: object | null = value; current && current !== Object.prototype; current = Object.getPrototypeOf(current) as object | null) {
    for (const name of Object.getOwnPropertyNames(current)) {
      if (name !== 'constructor' && typeof (value as Record<string, unknown>)[name] === 'function') names.add(name);
    }
  }
  return [...names];
}

function toJob(kind: VerificationJob['kind'], input: unknown, sources: VerificationSources & { challenge?: string; domain?: string }): { job: VerificationJob; remote: RemoteFunctions } {
  const remote: RemoteFunctions = {};
  const { now, challenge, domain, ...rest } = sources;
  for (const [key, value] of Object.entries(rest)) {
    if (typeof value === 'function') remote[key] = value as RemoteFunctions[string];
    else if (value && typeof value === 'object') {
      for (const method of methodsOf(value)) {
        const fn = (value as unknown as Record<string, (...args: unknown[]) => unknown>)[method]!;
        remote[`${key}.${method}`] = (...args: unknown[]) => fn.apply(value, args);
      }
    }
  }
  return {
    job: { kind, input, ...(now ? { now: now().toISOString() } : {}), ...(challenge !== undefined ? { challenge } : {}), ...(domain !== undefined ? { domain } : {}), remote: Object.keys(remote) },
    remote,
  };
}

/** Starts no worker until the first verification. */
export function createVerificationPool(options: VerificationPoolOptions): VerificationPool {
  const pool = createWorkerPool({
    entry: new URL('./verify-worker.ts', import.meta.url),
    size: options.size ?? defaultVerificationWorkers(),
    deadlineMs: options.deadlineMs,
    maxQueue: options.maxQueue,
  });
  return {
    verifyCredential(input, sources) {
      const { job, remote } = toJob('credential', input, sources);
      return pool.run<VerificationReport>(job, remote);
    },
    verifyPresentation(input, sources) {
      const { job, remote } = toJob('presentation', input, sources);
      return pool.run<PresentationReport>(job, remote);
    },
    stats: () => pool.stats(),
    warm: () => pool.warm(),
    close: () => pool.close(),
  };
}
