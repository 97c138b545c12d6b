/**
 * The worker side of the pool in `worker-pool.ts`: what a worker thread's entry module
 * calls to take jobs. Kept apart from the pool so that a worker loads only this and the
 * message protocol.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { deserializeError, serializeError, type FromWorker, type ToWorker } from './worker-protocol.ts';

/**
 * The worker side: runs each job with `handler`, which may `call` the submitting
 * thread's remote functions by name, one job at a time. A job handed ahead waits here
 * until the one running has answered, and runs only if this worker claims it before the
 * submitting thread takes it back (see `Slot.claim` in `worker-pool.ts`).
 */
export function serveWorkerJobs(handler: (payload: unknown, call: (name: string, ...args: unknown[]) => Promise<unknown>) => Promise<unknown>): void {
  const port = parentPort;
  if (!port) throw new TypeError('serveWorkerJobs runs only inside a worker thread');
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: unknown): void }>();
  const claim = (workerData as { claim?: Int32Array } | null)?.claim;
  const jobsAhead: Array<Extract<ToWorker, { type: 'job' }>> = [];
  let running = false;
  let nextCallId = 0;
  const runNext = () => {
    for (let message = jobsAhead.shift(); message; message = jobsAhead.shift()) {
      // Taken back by the submitting thread (given to another worker, or its wait ended): skip it.
      if (message.ahead !== undefined && claim && Atomics.compareExchange(claim, 0, message.ahead, 0) !== message.ahead) continue;
      run(message);
      return;
    }
  };
  port.on('message', (message: ToWorker) => {
    if (message.type === 'reply') {
      const waiting = pending.get(message.callId);
      pending.delete(message.callId);
      if (!waiting) return;
      if (message.ok) waiting.resolve(message.value);
      else waiting.reject(deserializeError(message.error));
      return;
    }
    jobsAhead.push(message);
    if (!running) runNext();
  });
  const run = (message: Extract<ToWorker, { type: 'job' }>) => {
    running = true;
    // The job's own time: from now to its answer, less the spans in which it had a call
    // out and waited for the submitting thread (see the module comment).
    const startedAt = performance.now();
    let waitingSince = 0;
    let waitedMs = 0;
    let callsOut = 0;
    const callReturned = () => {
      callsOut -= 1;
      if (callsOut === 0) waitedMs += performance.now() - waitingSince;
    };
    const busyMs = () => Math.max(0, performance.now() - startedAt - waitedMs);
    const call = (name: string, ...args: unknown[]) =>
      new Promise<unknown>((resolve, reject) => {
        const callId = ++nextCallId;
        if (callsOut === 0) waitingSince = performance.now();
        callsOut += 1;
        pending.set(callId, {
          resolve: (value) => (callReturned(), resolve(value)),
          reject: (error) => (callReturned(), reject(error)),
        });
        port.postMessage({ type: 'call', jobId: message.jobId, callId, name, args } satisfies FromWorker);
      });
    handler(message.payload, call)
      .then(
        (result) => port.postMessage({ type: 'done', jobId: message.jobId, result, busyMs: busyMs() } satisfies FromWorker),
        (error: unknown) => port.postMessage({ type: 'failed', jobId: message.jobId, error: serializeError(error), busyMs: busyMs() } satisfies FromWorker),
      )
      .finally(() => {
        running = false;
        runNext();
      });
  };
  port.postMessage({ type: 'ready' } satisfies FromWorker);
}
