/**
 * A small pool of worker threads (https://nodejs.org/api/worker_threads.html) for the
 * CPU-heavy part of verification: JSON-LD canonicalisation and signature checks of an
 * untrusted document can take seconds, and on the main thread every other request
 * (`/health`, pages, LTI launches) would wait for them.
 *
 * - Each worker runs one job at a time; jobs wait in a bounded queue. While every worker is
 *   busy and jobs wait, each worker is also handed the next job ahead of time (one at
 *   most), which it starts as soon as it answers the one it runs: it neither sleeps
 *   between jobs nor waits for the submitting thread to read its answer and post the next
 *   job, and posting to a busy thread does not wake it (on a 2-core VM each wake-up cost
 *   the waker a tenth of a millisecond; bench/JOURNAL.md, issue 15). A job handed ahead
 *   is still queued: until the worker claims it (one shared integer per worker, set by
 *   compare-and-swap, so exactly one side wins), the pool may take it back, to give it to
 *   a worker that fell idle, to end its wait in the queue, or when its worker is replaced.
 * - Admission by expected service time (with `requestDeadlineMs`): the pool measures
 *   the mean time a job holds a worker, and refuses at once a job that it expects to
 *   finish after the request deadline ((jobs ahead ÷ workers + 1) × mean), with
 *   `verification_unavailable` and `details.retryAfterMs`. Under overload the excess
 *   gets a fast refusal it can retry, and what is accepted finishes in time, instead of
 *   every request waiting in a long queue until all of them time out. A job with a free
 *   worker is always accepted, so one slow job cannot lock the pool out.
 *   A job's service time is the worker's own time on it, less its waits for answers
 *   from the submitting thread, plus the time the remote functions it called took to
 *   answer (a slow database or chain holds the worker as long). Measured from the
 *   submitting thread instead, the time also held that thread's queue (the job's message,
 *   each call and answer, the result), and a thread busy answering refusals made every
 *   job look slower, which refused more: under a 50-connection load that resends each
 *   refusal at once, verification stalled in a storm of refusals (7-93 verified answers
 *   a second, the mean 40-120 ms for 0.4 ms of work; bench/JOURNAL.md). Jobs that end at
 *   their deadline or with their worker count the time the submitting thread saw.
 * - Each job has a deadline, counted from when a worker takes it (a job handed ahead: from
 *   when the answer before it is read), and a bound on its
 *   wait in the queue (`maxQueueWaitMs`). A worker that overruns it is terminated and replaced,
 *   and the job fails with `verification_timeout`: a stuck verification costs one worker
 *   for one deadline, never the pool.
 * - A worker that dies while running a job (a crash, out of memory) is replaced and the
 *   job is retried once on another worker; a second death fails it with
 *   `verification_unavailable`.
 * - A job may call back into the thread that submitted it (`remote` functions): the
 *   database, the chain and Sello's own DID documents stay on the main thread, and the
 *   worker asks for them by name. Arguments and answers cross by structured clone.
 *
 * - With `idleMs`, workers start as jobs need them (one for each job waiting beyond the
 *   busy workers, up to `size`), and a worker left without a job for `idleMs` stops. A
 *   worker holds 50-60 MB (a V8 isolate with the JSON-LD stack loaded), which a
 *   single-process deployment on the embedded database would otherwise carry from
 *   start-up to shutdown whether or not anything is ever verified; the price is the
 *   worker's start-up (0.6 s measured on the 2-core bench machine) on the first job after a quiet spell.
 *
 * The worker side is `serveWorkerJobs` (`worker-side.ts`), and the messages between the two
 * are in `worker-protocol.ts`; workers start with `bin/ts-worker.js`, which registers tsx
 * in the new thread (module hooks are per thread) before loading `entry`.
 */
import { Worker } from 'node:worker_threads';
import { CredentialError } from './errors.ts';
import type { ThreadPriorityOutcome } from './thread-priority.ts';
import { deserializeError, serializeError, type FromWorker, type ToWorker } from './worker-protocol.ts';

/** Functions a job may call from its worker, by name. */
export type RemoteFunctions = Record<string, (...args: never[]) => unknown>;

export interface WorkerPoolOptions {
  /** The module the workers load (it calls `serveWorkerJobs`). */
  entry: URL;
  /** How many workers at most. */
  size: number;
  /** Deadline of one job in a worker, in milliseconds. */
  deadlineMs: number;
  /** Jobs waiting beyond the busy workers; more are refused at once. Default 32 per worker (each holds a parsed body of at most BODY_LIMIT). */
  maxQueue?: number;
  /**
   * How long a job may wait for a free worker, in milliseconds (default 30 s): long
   * enough for a replaced worker to start, short enough that a saturated pool answers.
   */
  maxQueueWaitMs?: number;
  /**
   * The time a caller gives one job, queue wait included, in milliseconds: a job the pool
   * expects to finish later is refused at once (see the module comment). Without it,
   * only `maxQueue` bounds the queue.
   */
  requestDeadlineMs?: number;
  /** The clock for service times; default `performance.now`. */
  now?: () => number;
  /**
   * How many nice steps below the submitting thread each worker runs (Linux; see
   * `thread-priority.ts`): the event loop then preempts busy workers. Default 0 (unchanged).
   */
  niceIncrement?: number;
  /** Told what each started worker did about its priority (with `niceIncrement`), e.g. to log it. */
  onThreadPriority?: (outcome: ThreadPriorityOutcome) => void;
  /**
   * Start workers only as jobs need them and stop one that has had no job for this many
   * milliseconds (see the module comment). Without it, a started worker stays until
   * `close`, and the first job starts all `size` of them.
   */
  idleMs?: number;
}

export interface WorkerPoolStats {
  workers: number;
  busy: number;
  queued: number;
  /** Workers terminated at a deadline. */
  timedOut: number;
  /** Workers that died on their own. */
  crashed: number;
  /** Jobs run again after their worker died. */
  retried: number;
  /** Jobs refused at once: the queue was full, or they would have finished after `requestDeadlineMs`. */
  refused: number;
  /** Workers stopped after `idleMs` without a job. */
  stoppedIdle: number;
  /** Mean time a job holds a worker, in milliseconds (moving average); null before the first job ends. */
  meanServiceMs: number | null;
}

export interface WorkerPool {
  /**
   * The error `run` would reject a job with at once if submitted now (closed, full, or
   * expected past `requestDeadlineMs`), or null: a caller can refuse before it spends
   * anything on the job. A refusal handed out counts in `stats().refused`.
   */
  refusal(): CredentialError | null;
  /** Runs `payload` in a worker. Rejects with `verification_timeout` / `verification_unavailable` (503), or the job's own error. */
  run<T>(payload: unknown, remote?: RemoteFunctions): Promise<T>;
  stats(): WorkerPoolStats;
  /** Starts every worker now rather than at the first job, so the first request is not slower (with `idleMs`, they stop again when unused). */
  warm(): void;
  /** Terminates every worker; queued and running jobs fail with `verification_unavailable`. */
  close(): Promise<void>;
}

interface Job {
  id: number;
  payload: unknown;
  remote: RemoteFunctions;
  attempts: number;
  resolve(value: unknown): void;
  reject(error: unknown): void;
  timer: NodeJS.Timeout | null;
  /** When a worker took it (`now()`), for the service time. */
  startedAt: number;
  /** Time in which at least one of its calls' remote functions was at work, this attempt. */
  remoteMs: number;
  /** Its calls at work now, and since when at least one has been. */
  callsAtWork: number;
  atWorkSince: number;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  /** Terminated by the pool: its exit is expected. */
  retired: boolean;
  /** The job it runs (or, after it answered the previous one, is about to run). */
  job: Job | null;
  /** A job handed to it ahead of time, not yet claimed as far as this thread knows. */
  ahead: Job | null;
  /**
   * Shared with the worker: the token of the job handed ahead, 0 once the worker claimed
   * it or this thread took it back (whichever swaps it to 0 first owns the job).
   */
  claim: Int32Array;
  /** With `idleMs`: stops this worker when it has been without a job that long. */
  idleTimer: NodeJS.Timeout | null;
}

/** A job's token in a claim cell: any non-zero 31-bit integer that differs from the previous one. */
const claimToken = (job: Job) => (job.id % 0x7fffffff) + 1;

const workerScript = new URL('../../bin/ts-worker.js', import.meta.url);

/** Starts no worker until the first job; see the module comment. */
export function createWorkerPool(options: WorkerPoolOptions): WorkerPool {
  const size = Math.max(1, Math.floor(options.size));
  const maxQueue = options.maxQueue ?? size * 32;
  const maxQueueWaitMs = options.maxQueueWaitMs ?? 30_000;
  const slots = new Set<Slot>();
  const queue: Job[] = [];
  const stats = { timedOut: 0, crashed: 0, retried: 0, refused: 0, stoppedIdle: 0 };
  const idleMs = options.idleMs;
  const now = options.now ?? (() => performance.now());
  // Moving average of service times: recent enough to follow the host's load (a shared
  // machine's neighbours come and go), smooth enough that one large input does not
  // close the door.
  let meanServiceMs: number | null = null;
  const SERVICE_WEIGHT = 0.1;
  const recordService = (measuredMs: number) => {
    // A job slower than the request deadline says only "too slow to queue behind"; counted
    // whole, one runaway job (VERIFY_TIMEOUT_S, 10 s) lifted the mean by a second and the
    // pool refused queued work for the next twenty or so jobs, however fast they were.
    const ms = options.requestDeadlineMs === undefined ? measuredMs : Math.min(measuredMs, options.requestDeadlineMs);
    meanServiceMs = meanServiceMs === null ? ms : meanServiceMs + SERVICE_WEIGHT * (ms - meanServiceMs);
  };
  let nextJobId = 0;
  let closed = false;
  // Workers that died before they were ready, in a row: a broken entry must not respawn forever.
  let failedStarts = 0;

  const unavailable = (message: string) => new CredentialError('verification_unavailable', message);

  function spawn(): void {
    const claim = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(workerScript, { workerData: { entry: options.entry.href, niceIncrement: options.niceIncrement ?? 0, claim } });
    // Workers never keep the process alive on their own: closing the server is enough.
    worker.unref();
    const slot: Slot = { worker, ready: false, retired: false, job: null, ahead: null, claim, idleTimer: null };
    slots.add(slot);
    worker.on('message', (message: FromWorker) => onMessage(slot, message));
    worker.on('error', () => {
      // Always followed by 'exit', where the slot is replaced.
    });
    worker.on('exit', () => onExit(slot));
  }

  /**
   * Starts workers up to `size` (`all`, or always without `idleMs`), or, with `idleMs`, up
   * to the work there is: a worker for every running and every waiting job.
   */
  function startWorkers(all = idleMs === undefined): void {
    if (closed || failedStarts >= 3) return;
    const wanted = all ? size : Math.min(size, busyCount() + waitingCount());
    while (slots.size < wanted) spawn();
  }

  /** With `idleMs`: a ready worker without a job stops after that long, unless a job comes first. */
  function watchIdle(slot: Slot): void {
    if (idleMs === undefined) return;
    if (slot.job || !slot.ready || slot.retired) {
      if (slot.idleTimer) clearTimeout(slot.idleTimer);
      slot.idleTimer = null;
      return;
    }
    if (slot.idleTimer) return;
    slot.idleTimer = setTimeout(() => {
      slot.idleTimer = null;
      if (slot.job || slot.retired || closed) return;
      stats.stoppedIdle += 1;
      retire(slot);
    }, idleMs);
    slot.idleTimer.unref();
  }

  function post(slot: Slot, message: ToWorker): void {
    try {
      slot.worker.postMessage(message);
    } catch (error) {
      // An answer that cannot be cloned fails the call it answers, not the pool.
      if (message.type === 'reply' && message.ok) {
        slot.worker.postMessage({ type: 'reply', callId: message.callId, ok: false, error: serializeError(error) } satisfies ToWorker);
      } else if (message.type === 'job' && message.ahead !== undefined) {
        const job = slot.ahead!;
        Atomics.store(slot.claim, 0, 0);
        slot.ahead = null;
        job.reject(error);
        dispatch();
      } else if (message.type === 'job') {
        const job = slot.job!;
        release(slot);
        job.reject(error);
        dispatch();
      }
    }
  }
  /**
   * Takes back the job handed ahead to `slot`, if its worker has not claimed it: then it
   * is this thread's again (and the worker will skip it). False when the worker has it.
   */
  function takeBack(slot: Slot): Job | null {
    const job = slot.ahead;
    if (!job) return null;
    if (Atomics.compareExchange(slot.claim, 0, claimToken(job), 0) !== claimToken(job)) return null;
    slot.ahead = null;
    return job;
  }

  /** The job `slot`'s worker turns to now that it answered its previous one (the job handed ahead), started here. */
  function promote(slot: Slot): void {
    const job = slot.ahead;
    if (!job) return;
    slot.ahead = null;
    start(slot, job);
  }

  /**
   * Frees the slot. The job's service time: the worker's `busyMs` and its calls' time
   * when it reported one (see the module comment), else the time seen from here.
   */
  function release(slot: Slot, busyMs?: number): void {
    const job = slot.job;
    if (job?.timer) clearTimeout(job.timer);
    if (job) recordService(busyMs === undefined ? now() - job.startedAt : busyMs + job.remoteMs);
    slot.job = null;
  }

  function busyCount(): number {
    let busy = 0;
    for (const slot of slots) if (slot.job) busy += 1;
    return busy;
  }

  /** Jobs waiting for a worker: in the queue, and handed ahead to a busy one. */
  function waitingCount(): number {
    let waiting = queue.length;
    for (const slot of slots) if (slot.ahead) waiting += 1;
    return waiting;
  }

  /**
   * How long a job submitted now should wait for a worker, by the measured mean service
   * time: with every worker busy and `queue.length` jobs ahead, a worker frees up every
   * mean ÷ size on average. Zero when a worker is free or nothing is measured yet.
   */
  function expectedWaitMs(): number {
    if (meanServiceMs === null) return 0;
    const ahead = waitingCount() + busyCount() - size + 1;
    return ahead <= 0 ? 0 : (ahead / size) * meanServiceMs;
  }

  function dispatch(): void {
    // Idle workers first, from the queue or else from a busy worker's job handed ahead.
    for (const slot of slots) {
      if (slot.ready && !slot.retired && !slot.job) {
        let job = queue.shift();
        for (const other of slots) if (!job && other !== slot) job = takeBack(other) ?? undefined;
        if (job) take(slot, job);
      }
      watchIdle(slot);
    }
    // Then one job ahead to each busy worker that has claimed the last one it was handed.
    for (const slot of slots) {
      if (queue.length === 0) return;
      if (!slot.ready || slot.retired || !slot.job || slot.ahead || Atomics.load(slot.claim, 0) !== 0) continue;
      const job = queue.shift()!;
      slot.ahead = job;
      Atomics.store(slot.claim, 0, claimToken(job));
      post(slot, { type: 'job', jobId: job.id, payload: job.payload, ahead: claimToken(job) });
    }
  }

  /** Counts `job` as taken by `slot`'s worker now (an attempt, the service time's start, the deadline) and posts it. */
  function take(slot: Slot, job: Job): void {
    start(slot, job);
    post(slot, { type: 'job', jobId: job.id, payload: job.payload });
  }

  /** Counts `job` as taken by `slot`'s worker now: an attempt, the service time's start, the deadline. */
  function start(slot: Slot, job: Job): void {
    if (job.timer) clearTimeout(job.timer);
    job.attempts += 1;
    job.startedAt = now();
    job.remoteMs = 0;
    job.callsAtWork = 0;
    slot.job = job;
    job.timer = setTimeout(() => onDeadline(slot, job), options.deadlineMs);
  }
  /**
   * The job handed ahead to a worker that is going away: back to the front of the queue if
   * the worker never claimed it; else it had started, and counts as that worker's job.
   */
  function recoverAhead(slot: Slot): Job | null {
    const job = slot.ahead;
    if (!job) return null;
    if (takeBack(slot)) {
      queue.unshift(job);
      return null;
    }
    slot.ahead = null;
    if (job.timer) clearTimeout(job.timer);
    job.timer = null;
    job.attempts += 1;
    return job;
  }

  function retire(slot: Slot): void {
    if (slot.idleTimer) clearTimeout(slot.idleTimer);
    slot.idleTimer = null;
    slot.retired = true;
    slots.delete(slot);
    void slot.worker.terminate().catch(() => {});
  }

  function onDeadline(slot: Slot, job: Job): void {
    if (slot.job !== job) return;
    release(slot);
    stats.timedOut += 1;
    // Its job handed ahead goes back to the queue, or (claimed: its worker had just begun it) is retried as after a crash.
    const started = recoverAhead(slot);
    retire(slot);
    job.reject(new CredentialError('verification_timeout', `Verification did not finish within ${options.deadlineMs} ms`, { deadlineMs: options.deadlineMs }));
    if (started) retryOrFail(started);
    startWorkers();
    dispatch();
  }

  /** A job whose worker died under it: run again once, on another worker. */
  function retryOrFail(job: Job): void {
    if (job.attempts < 2) {
      stats.retried += 1;
      queue.unshift(job);
    } else {
      job.reject(unavailable('The verification worker stopped twice on this input'));
    }
  }

  function onExit(slot: Slot): void {
    if (slot.retired) return;
    slots.delete(slot);
    if (closed) return;
    if (!slot.ready) failedStarts += 1;
    stats.crashed += 1;
    const job = slot.job;
    release(slot);
    const started = recoverAhead(slot);
    if (started) retryOrFail(started);
    if (job) retryOrFail(job);
    startWorkers();
    if (slots.size === 0) {
      for (const waiting of queue.splice(0)) {
        if (waiting.timer) clearTimeout(waiting.timer);
        waiting.reject(unavailable('No verification worker could be started'));
      }
    }
    dispatch();
  }

  function onMessage(slot: Slot, message: FromWorker): void {
    if (slot.retired) return;
    switch (message.type) {
      case 'ready':
        slot.ready = true;
        failedStarts = 0;
        dispatch();
        return;
      case 'priority':
        options.onThreadPriority?.(message.outcome);
        return;
      case 'call': {
        const job = slot.job;
        if (!job || job.id !== message.jobId) return;
        const fn = job.remote[message.name] as ((...args: unknown[]) => unknown) | undefined;
        if (job.callsAtWork++ === 0) job.atWorkSince = now();
        Promise.resolve()
          .then(() => {
            if (!fn) throw new Error(`No remote function ${message.name}`);
            return fn(...message.args);
          })
          .finally(() => {
            if (--job.callsAtWork === 0) job.remoteMs += now() - job.atWorkSince;
          })
          .then(
            (value) => slot.job === job && post(slot, { type: 'reply', callId: message.callId, ok: true, value }),
            (error: unknown) => slot.job === job && post(slot, { type: 'reply', callId: message.callId, ok: false, error: serializeError(error) }),
          );
        return;
      }
      case 'done':
      case 'failed': {
        const job = slot.job;
        if (!job || job.id !== message.jobId) return;
        release(slot, message.busyMs);
        // Its worker has turned to the job handed ahead, if it claimed it (a job taken back is no longer `ahead`).
        promote(slot);
        if (message.type === 'done') job.resolve(message.result);
        else job.reject(deserializeError(message.error));
        dispatch();
        return;
      }
    }
  }

  /** Why a job submitted now would be refused at once (see the module comment), or null. */
  function refusalNow(): CredentialError | null {
    if (waitingCount() >= maxQueue) {
      return new CredentialError('verification_unavailable', 'Too many verifications are waiting; try again shortly', { retryAfterMs: Math.max(1000, expectedWaitMs()) });
    }
    if (options.requestDeadlineMs === undefined || meanServiceMs === null) return null;
    const waitMs = expectedWaitMs();
    if (waitMs === 0 || waitMs + meanServiceMs <= options.requestDeadlineMs) return null;
    return new CredentialError('verification_unavailable', 'The verifier is at capacity; try again shortly', {
      expectedWaitMs: Math.round(waitMs),
      meanServiceMs: Math.round(meanServiceMs),
      requestDeadlineMs: options.requestDeadlineMs,
      // By then the jobs ahead have run: the queue has drained to where this one would be accepted.
      retryAfterMs: Math.round(waitMs + 2 * meanServiceMs - options.requestDeadlineMs),
    });
  }

  return {
    refusal() {
      if (closed) return unavailable('The verification pool is closed');
      const refusal = refusalNow();
      if (refusal) stats.refused += 1;
      return refusal;
    },
    run<T>(payload: unknown, remote: RemoteFunctions = {}): Promise<T> {
      if (closed) return Promise.reject(unavailable('The verification pool is closed'));
      const refusal = refusalNow();
      if (refusal) {
        stats.refused += 1;
        return Promise.reject(refusal);
      }
      return new Promise<T>((resolve, reject) => {
        const job: Job = { id: ++nextJobId, payload, remote, attempts: 0, resolve: resolve as (value: unknown) => void, reject, timer: null, startedAt: 0, remoteMs: 0, callsAtWork: 0, atWorkSince: 0 };
        job.timer = setTimeout(() => {
          const index = queue.indexOf(job);
          if (index >= 0) queue.splice(index, 1);
          else {
            // Handed ahead to a worker: taken back unless that worker has claimed it.
            const holder = [...slots].find((slot) => slot.ahead === job);
            if (!holder || !takeBack(holder)) return;
          }
          reject(new CredentialError('verification_timeout', `No verification worker was free within ${maxQueueWaitMs} ms`, { maxQueueWaitMs }));
        }, maxQueueWaitMs);
        queue.push(job);
        if (slots.size === 0) failedStarts = 0;
        startWorkers();
        dispatch();
      });
    },
    warm() {
      startWorkers(true);
    },
    stats() {
      return { workers: slots.size, busy: busyCount(), queued: waitingCount(), ...stats, meanServiceMs };
    },
    async close() {
      closed = true;
      for (const job of queue.splice(0)) {
        if (job.timer) clearTimeout(job.timer);
        job.reject(unavailable('The verification pool is closed'));
      }
      const stopping: Array<Promise<unknown>> = [];
      for (const slot of [...slots]) {
        if (slot.idleTimer) clearTimeout(slot.idleTimer);
        const job = slot.job;
        release(slot);
        job?.reject(unavailable('The verification pool is closed'));
        if (slot.ahead?.timer) clearTimeout(slot.ahead.timer);
        slot.ahead?.reject(unavailable('The verification pool is closed'));
        slot.ahead = null;
        slot.retired = true;
        stopping.push(slot.worker.terminate().catch(() => {}));
      }
      slots.clear();
      await Promise.all(stopping);
    },
  };
}
