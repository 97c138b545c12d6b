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
import type { CredentialError } from './errors.ts';
import { createWorkerPool, type RemoteFunctions, type WorkerPoolStats } from './worker-pool.ts';
import type { DidResolver } from './document-loader.ts';
import type { VerificationReport, VerifyCredentialOptions } from './verify.ts';
import type { PresentationReport } from './verify-presentation.ts';
import type { ThreadPriorityOutcome } from './thread-priority.ts';
import type { Config } from '../config.ts';

/** What crosses to the worker for one verification. */
export interface VerificationJob {
  kind: 'credential' | 'presentation';
  input: unknown;
  /** Instead of `input`: the UTF-8 JSON text of an object whose member `member` is the input (a request body as received). */
  inputJson?: { bytes: Uint8Array; member: string };
  /** The caller's clock, read when the job was submitted (ISO 8601). */
  now?: string;
  challenge?: string;
  domain?: string;
  /** Names of the functions the worker may call back (`name` or `object.method`). */
  remote: string[];
  /** Versions of the sources behind them, by option name: the worker reuses answers of the same version (see `remote-answer-cache.ts`). */
  versions?: Record<string, string | null>;
  /** `json`: a credential's report comes back as its JSON text (a `CredentialAnswer`), not as an object. */
  answer?: 'json';
}

/**
 * A credential's verification as an HTTP answer sends it: the report as JSON text,
 * written by the worker (`JSON.stringify(report)`, the same text `res.json(report)` would
 * write), so this thread neither copies the report's object tree back from the worker
 * nor walks it again to serialise it. When the report may still change on this thread
 * (`mayBeAnchoringPending`), the report itself instead.
 */
export type CredentialAnswer = { verified: boolean; json: string; report?: undefined } | { report: VerificationReport; json?: undefined };

/**
 * The one case in which a server's records may change a report (`withAnchoringPending`
 * in `web/credential-routes.ts`): the anchor check failed with `not_anchored` and the
 * credential's hash is known, so Sello's records may show it queued for anchoring.
 */
export function mayBeAnchoringPending(report: VerificationReport): boolean {
  const anchorCheck = report.checks.find((check) => check.id === 'anchored_on_chain');
  return Boolean(anchorCheck && !anchorCheck.valid && anchorCheck.error === 'not_anchored' && report.credentialHash);
}

/**
 * The input as the JSON text it was parsed from, when the caller has it: `bytes` (UTF-8)
 * parse to an object whose `member` is the input. Handing the text to the worker costs
 * this thread a copy of bytes instead of a structured clone of the parsed value.
 */
export interface VerificationInputJson {
  bytes: Uint8Array;
  member: string;
}

/**
 * `VerifyCredentialOptions` without the document loader, plus the DID resolver it would
 * use, and optionally `versions`: read (fresh) before each job, the current version of
 * each source by option name (`resolveDid`, `statusListLoader`, `anchorChecker`,
 * `chainReader`); a worker answers a call from its cache only under the same version.
 */
export type VerificationSources = Omit<VerifyCredentialOptions, 'documentLoader'> & {
  resolveDid: DidResolver;
  versions?: () => Promise<Record<string, string | null>>;
};

export interface VerificationPool {
  /** @throws CredentialError `verification_timeout`, `verification_unavailable` (both 503). */
  verifyCredential(input: unknown, sources: VerificationSources, inputJson?: VerificationInputJson): Promise<VerificationReport>;
  /** The same verification, answered as JSON text ready to send (see `CredentialAnswer`). @throws as `verifyCredential`. */
  verifyCredentialAnswer(input: unknown, sources: VerificationSources, inputJson?: VerificationInputJson): Promise<CredentialAnswer>;
  /** @throws CredentialError `verification_timeout`, `verification_unavailable` (both 503). */
  verifyPresentation(input: unknown, sources: VerificationSources & { challenge?: string; domain?: string }, inputJson?: VerificationInputJson): Promise<PresentationReport>;
  /** The refusal a verification submitted now would get at once, or null (see `WorkerPool.refusal`). */
  refusal(): CredentialError | null;
  stats(): WorkerPoolStats;
  /** Starts the workers now (each loads the JSON-LD stack: a second or two). */
  warm(): void;
  close(): Promise<void>;
}

export interface VerificationPoolOptions {
  /** Workers; default one per core (see `defaultVerificationWorkers`). */
  size?: number;
  /** Deadline per verification, in milliseconds. */
  deadlineMs: number;
  /** What one request may take, queue included: the pool refuses at once what it expects to finish later (see `worker-pool.ts`). */
  requestDeadlineMs?: number;
  maxQueue?: number;
  /** How many nice steps below the main thread the workers run (see `worker-pool.ts`); default 0. */
  niceIncrement?: number;
  /** Told what each started worker did about its priority, e.g. to log it. */
  onThreadPriority?: (outcome: ThreadPriorityOutcome) => void;
  /** Start workers as verifications need them and stop one unused this long (see `worker-pool.ts`); default: started at the first job, kept. */
  idleMs?: number;
}

/**
 * One worker per core. The main thread only routes (the workers keep DID documents,
 * status lists and chain answers, so a verification rarely calls back), and it needs
 * little CPU but answers at once when woken; keeping a whole core for it left half of a
 * 2-core machine's verification capacity unused (issue 15).
 */
export function defaultVerificationWorkers(): number {
  return Math.max(1, availableParallelism());
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

/** The functions of `sources` a worker may call back, by name (`name` or `object.method`). */
function remoteFunctionsOf(sources: VerificationSources): { remote: RemoteFunctions; names: string[] } {
  const remote: RemoteFunctions = {};
  const { now: _now, challenge: _challenge, domain: _domain, versions: _versions, ...rest } = sources as VerificationSources & { challenge?: string; domain?: string };
  for (const [key, value] of Object.entries(rest)) {
    if (typeof value === 'function') remote[key] = value as RemoteFunctions[string];
    else if (value && typeof value === 'object') {
      for (const method of methodsOf(value)) {
        const fn = (value as unknown as Record<string, (...args: unknown[]) => unknown>)[method]!;
        remote[`${key}.${method}`] = (...args: unknown[]) => fn.apply(value, args);
      }
    }
  }
  return { remote, names: Object.keys(remote) };
}

// The remote functions of a sources object, worked out once: a server passes the same
// object with every request (`SubmittedVerification.sources`), and walking its chain
// reader's prototype for every verification was a cost of the event loop's (issue 15).
// The object's members are read when first seen; a caller that changes them passes a new object.
const remoteFunctionsBySources = new WeakMap<VerificationSources, { remote: RemoteFunctions; names: string[] }>();

function toJob(
  kind: VerificationJob['kind'],
  input: unknown,
  sources: VerificationSources & { challenge?: string; domain?: string },
  inputJson?: VerificationInputJson,
): { job: VerificationJob; remote: RemoteFunctions } {
  let functions = remoteFunctionsBySources.get(sources);
  if (!functions) {
    functions = remoteFunctionsOf(sources);
    remoteFunctionsBySources.set(sources, functions);
  }
  const { now, challenge, domain } = sources;
  return {
    job: { kind, ...(inputJson ? { input: undefined, inputJson } : { input }), ...(now ? { now: now().toISOString() } : {}), ...(challenge !== undefined ? { challenge } : {}), ...(domain !== undefined ? { domain } : {}), remote: functions.names },
    remote: functions.remote,
  };
}

/**
 * The pool a deployment's settings ask for (`VERIFY_*`): with `VERIFY_WORKER_IDLE_S` its
 * workers start as verifications arrive and stop when unused, so a Sello that verifies
 * nothing does not hold them; with 0 they all start now, so that the first request does
 * not wait for them to load the JSON-LD stack, and stay.
 */
export function createConfiguredVerificationPool(
  settings: Config['verification'],
  extra: Pick<VerificationPoolOptions, 'onThreadPriority'> = {},
): VerificationPool {
  const pool = createVerificationPool({
    size: settings.workers ?? undefined,
    deadlineMs: settings.timeoutMs,
    requestDeadlineMs: settings.requestDeadlineMs,
    niceIncrement: settings.workerNice,
    idleMs: settings.workerIdleMs ?? undefined,
    ...extra,
  });
  if (settings.workerIdleMs === null) pool.warm();
  return pool;
}

/** Starts no worker until the first verification. */
export function createVerificationPool(options: VerificationPoolOptions): VerificationPool {
  const pool = createWorkerPool({
    entry: new URL('./verify-worker.ts', import.meta.url),
    size: options.size ?? defaultVerificationWorkers(),
    deadlineMs: options.deadlineMs,
    requestDeadlineMs: options.requestDeadlineMs,
    maxQueue: options.maxQueue,
    niceIncrement: options.niceIncrement,
    onThreadPriority: options.onThreadPriority,
    idleMs: options.idleMs,
  });
  // Sources whose version cannot be read are asked every time, as without versions.
  const versionsOf = async (sources: VerificationSources) => (sources.versions ? await sources.versions().catch(() => undefined) : undefined);
  return {
    async verifyCredential(input, sources, inputJson) {
      const { job, remote } = toJob('credential', input, sources, inputJson);
      const versions = await versionsOf(sources);
      return pool.run<VerificationReport>(versions ? { ...job, versions } : job, remote);
    },
    async verifyCredentialAnswer(input, sources, inputJson) {
      const { job, remote } = toJob('credential', input, sources, inputJson);
      const versions = await versionsOf(sources);
      return pool.run<CredentialAnswer>({ ...job, answer: 'json', ...(versions ? { versions } : {}) }, remote);
    },
    async verifyPresentation(input, sources, inputJson) {
      const { job, remote } = toJob('presentation', input, sources, inputJson);
      const versions = await versionsOf(sources);
      return pool.run<PresentationReport>(versions ? { ...job, versions } : job, remote);
    },
    refusal: () => pool.refusal(),
    stats: () => pool.stats(),
    warm: () => pool.warm(),
    close: () => pool.close(),
  };
}
