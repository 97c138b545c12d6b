/**
 * Sello alone, for the issuance bench's embedded runs (bench/issuance-child.ts spawns it
 * with an IPC channel): its HTTP server on 127.0.0.1:SELLO_BENCH_PORT, the embedded
 * database in SELLO_BENCH_DATA_DIR (seeded by a first Sello on the same port, now
 * closed, so the URL, registration and keys are the same), the course sync and the
 * issuance worker. The sandbox LMS stays in the parent, so this process's memory is
 * Sello's own.
 *
 * Messages: sends `{ ready: true }` once it serves; on `{ contextId, learners,
 * concurrency }` runs the timed issuance, closes the database and sends
 * `{ result, peakRssMb, peakRssAtReadyMb, peakRssBeforeCloseMb }` (its VmHWM, the peak
 * of the whole process's life, and the same when it was ready and before it closed the
 * database), then exits.
 */
import { startTestSello } from '../test/support/sandbox-lms/sello.ts';
import { createIssuerKeyProvider } from '../src/issuance/issuer-keys.ts';
import { runTimedIssuance } from './timed-issuance.ts';
import { processPeakRssMb } from './figures.ts';
import { favourMemoryOverSpeed } from '../src/storage/embedded-heap.ts';

interface Start {
  contextId: string;
  learners: number;
  concurrency: number;
}

const send = (message: object) => new Promise<void>((resolve, reject) => process.send!(message, (error: Error | null) => (error ? reject(error) : resolve())));
// The parent going away (a failed run) ends this process too.
process.once('disconnect', () => process.exit(1));

// As `npm start` does on the embedded database (src/server.ts).
favourMemoryOverSpeed();
const sello = await startTestSello({
  env: { LTI_DYNREG_AUTO_APPROVE: 'true' },
  sleep: async () => {},
  embeddedDataDir: process.env.SELLO_BENCH_DATA_DIR!,
  port: Number(process.env.SELLO_BENCH_PORT),
});
const start = new Promise<Start>((resolve) => process.once('message', (message) => resolve(message as Start)));
// The peak so far: what start-up (opening the data folder, migrations) took, apart from the run.
const peakRssAtReadyMb = processPeakRssMb(process.pid);
await send({ ready: true });
const { contextId, learners, concurrency } = await start;
try {
  const keys = createIssuerKeyProvider({ db: sello.db, kek: sello.config.secrets.keyEncryptionKey!, publicUrl: sello.url });
  const result = await runTimedIssuance({ sello, keys, contextId, learners, concurrency });
  // And before closing the database (which writes its checkpoint).
  const peakRssBeforeCloseMb = processPeakRssMb(process.pid);
  await sello.close();
  await send({ result, peakRssMb: processPeakRssMb(process.pid), peakRssAtReadyMb, peakRssBeforeCloseMb });
} catch (error) {
  await send({ error: (error as Error).message });
}
process.exit(0);
