/**
 * A worker for the pool's own tests: the pool runs it exactly as it runs the
 * verification worker (bin/ts-worker.js, tsx, `serveWorkerJobs`), and it misbehaves on
 * request: it hangs, crashes its thread, or crashes only on a job's first attempt.
 */
import { threadId } from 'node:worker_threads';
import { serveWorkerJobs } from '../../src/credentials/worker-side.ts';

serveWorkerJobs(async (payload, call) => {
  const job = payload as { task: 'echo' | 'slow' | 'hang' | 'crash' | 'crash-first-attempt' | 'ask'; value?: unknown };
  // When it began and ended, on a clock every thread shares (ms since the epoch).
  const startedAt = performance.timeOrigin + performance.now();
  const timed = async () => ({ ...(await answer(job, call)), startedAt, endedAt: performance.timeOrigin + performance.now() });
  return timed();
});

async function answer(job: { task: string; value?: unknown }, call: (name: string, ...args: unknown[]) => Promise<unknown>): Promise<Record<string, unknown>> {
  switch (job.task) {
    case 'slow': {
      // Holds the worker for `value` ms of work, as a verification does.
      const until = Date.now() + Number(job.value);
      while (Date.now() < until);
      return { value: job.value, threadId };
    }
    case 'echo':
      return { value: job.value, threadId };
    case 'hang':
      // Busy, as a runaway canonicalisation would be: the event loop of this thread never turns again.
      for (;;);
    case 'crash':
      setImmediate(() => {
        throw new Error('worker crashed');
      });
      return new Promise(() => {});
    case 'crash-first-attempt': {
      const attempt = (await call('attempt')) as number;
      if (attempt === 1) {
        setImmediate(() => {
          throw new Error('worker crashed on the first attempt');
        });
        return new Promise(() => {});
      }
      return { attempt, threadId };
    }
    case 'ask':
      return { answer: await call('lookUp', job.value) };
  }
  throw new TypeError(`unknown task ${job.task}`);
}
