// Entry of Sello's worker threads. A worker does not inherit the module hooks of the
// thread that started it (tsx's loader registered in bin/sello.js, or vitest's), so it
// registers tsx itself and then loads the TypeScript module named in `workerData.entry`.
// With `workerData.niceIncrement` it first lowers its own scheduling priority (see
// src/credentials/thread-priority.ts), before loading anything, so that its start-up
// too yields to the event loop thread, and tells the pool what it did.
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
if (workerData.niceIncrement) {
  const { lowerThreadPriority } = await import(new URL('../src/credentials/thread-priority.ts', import.meta.url).href);
  parentPort.postMessage({ type: 'priority', outcome: lowerThreadPriority({ increment: workerData.niceIncrement }) });
}
await import(workerData.entry);
