/**
 * A shorter, tunable probe of `POST /credentials/verify` under load, for A/B comparisons
 * on a shared machine where one `npm run bench -- http` run (100 s) sees the neighbours
 * change: Sello as the bench starts it (PostgreSQL, 100 issued credentials, warmed up),
 * autocannon with `PROBE_CONNECTIONS` (default 50) for `PROBE_SECONDS` (default 12), and
 * beside it `/health` then one verification, one at a time, every 50 ms. Prints one JSON
 * line: verified answers, refusals, Sello's CPU seconds and CPU ms per verified answer,
 * `/health` p50 and p99, the first refusal bodies, and where the CPU went per verified
 * answer (`cpuMsPerAnswer`: Sello's main thread, its other threads, the busiest of them
 * one by one, this process's autocannon, and the rest of the machine, PostgreSQL included).
 *
 *   VERIFY_WORKER_NICE=0 PROBE_CONNECTIONS=10 node bin/run-ts.js bench/verify-load-probe.ts
 */
import autocannon from 'autocannon';
import { startSelloProcess } from './sello-process.ts';
import { machineCpuSeconds, percentile, processCpuSeconds, threadCpuSeconds } from './figures.ts';

const seconds = Number(process.env.PROBE_SECONDS ?? 12);
const connections = Number(process.env.PROBE_CONNECTIONS ?? 50);
const workerNice = process.env.VERIFY_WORKER_NICE;
// SELLO_BENCH_NODE_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof": profile Sello under this load, as in the http group.
const nodeFlags = process.env.SELLO_BENCH_NODE_FLAGS?.split(/\s+/).filter(Boolean) ?? [];
const sello = await startSelloProcess({ database: 'postgres', env: { ANCHOR_BATCH_MAX_WAIT_S: '1', ...(workerNice !== undefined ? { VERIFY_WORKER_NICE: workerNice } : {}) }, nodeFlags });
const post = (credential: unknown) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ verifiableCredential: credential }) });
try {
  const credentials: unknown[] = [];
  for (let i = 0; i < 100; i += 1) {
    const res = await fetch(`${sello.url}/credentials/issue`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sello.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ credential: { credentialSubject: { achievement: { name: 'Python Basics', description: 'Completed the module.', criteria: { narrative: 'Score 80%.' } } } }, options: { recipient: { email: `learner${i}@example.edu`, name: `Learner ${i}` } } }),
    });
    credentials.push(((await res.json()) as { verifiableCredential: unknown }).verifiableCredential);
  }
  // Anchored (ANCHOR_BATCH_MAX_WAIT_S=1), so the load measures verified answers.
  while ((await fetch(`${sello.url}/credentials/verify`, post(credentials.at(-1)))).status !== 200) await new Promise((resolve) => setTimeout(resolve, 500));
  const requests = credentials.map((credential) => ({ path: '/credentials/verify', ...post(credential) }));
  await autocannon({ url: sello.url, connections: 10, duration: 3, requests });

  const cpuBefore = processCpuSeconds(sello.pid)!;
  const threadsBefore = threadCpuSeconds(sello.pid);
  const machineBefore = machineCpuSeconds()!.busy;
  const selfBefore = process.cpuUsage();
  const refusals: string[] = [];
  const healthMs: number[] = [];
  let running = true;
  const probe = (async () => {
    while (running) {
      const started = performance.now();
      await fetch(`${sello.url}/health`).then((res) => res.text());
      healthMs.push(performance.now() - started);
      const res = await fetch(`${sello.url}/credentials/verify`, post(credentials[0]));
      const body = await res.text();
      if (res.status !== 200 && refusals.length < 3) refusals.push(`${res.status} ${body}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  const result = await autocannon({ url: sello.url, connections, duration: seconds, requests });
  running = false;
  await probe;
  const cpuSeconds = processCpuSeconds(sello.pid)! - cpuBefore;
  const machineSeconds = machineCpuSeconds()!.busy - machineBefore;
  const self = process.cpuUsage(selfBefore);
  // Per verified answer, in CPU ms: each thread of Sello (grouped by name, the main thread
  // apart), the load generator (this process) and the rest of the machine (PostgreSQL, …).
  const perAnswer = (seconds: number) => Number(((seconds * 1000) / result['2xx']).toFixed(3));
  const byThread: Record<string, number> = {};
  const perThread: number[] = [];
  for (const [tid, after] of threadCpuSeconds(sello.pid)) {
    const spent = after.seconds - (threadsBefore.get(tid)?.seconds ?? 0);
    // Worker threads and V8's helper threads (garbage collection, compilation) are all
    // named "node": the busiest of them, listed apart, are the verification workers.
    const key = tid === String(sello.pid) ? 'main' : after.name;
    byThread[key] = (byThread[key] ?? 0) + spent;
    if (key !== 'main') perThread.push(spent);
  }
  const clientSeconds = (self.user + self.system) / 1e6;
  const threadsMs = Object.fromEntries(Object.entries(byThread).filter(([, s]) => s > 0).map(([name, s]) => [name, perAnswer(s)]));
  console.log(
    JSON.stringify({
      workerNice: workerNice ?? 'default',
      connections,
      seconds: result.duration,
      verifiedPerS: Math.round(result['2xx'] / result.duration),
      verified: result['2xx'],
      non2xx: result.non2xx,
      p99Ms: result.latency.p99,
      cpuSeconds: Number(cpuSeconds.toFixed(2)),
      cpuMsPer2xx: Number(((cpuSeconds * 1000) / result['2xx']).toFixed(2)),
      healthP50Ms: Number(percentile(healthMs, 50)!.toFixed(1)),
      healthP99Ms: Number(percentile(healthMs, 99)!.toFixed(1)),
      refusals,
      cpuMsPerAnswer: { threads: threadsMs, busiestOthers: perThread.sort((a, b) => b - a).slice(0, 4).map(perAnswer), client: perAnswer(clientSeconds), restOfMachine: perAnswer(machineSeconds - cpuSeconds - clientSeconds) },
    }),
  );
} finally {
  await sello.close();
}
