// Entry of Sello's worker threads. A worker does not inherit the module hooks of the
// thread that started it (tsx's loader registered in bin/sello.js, or vitest's), so it
// registers tsx itself and then loads the TypeScript module named in `workerData.entry`.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
