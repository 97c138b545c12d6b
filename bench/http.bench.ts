/**
 * HTTP figures, measured against Sello started as a deployment starts it (a process of
 * its own, `bin/sello.js serve` with npm start's Node flags, on PostgreSQL by default,
 * or SELLO_BENCH_HTTP_DATABASE=embedded), loaded by autocannon from this process:
 *
 * - `verify_http_per_s`, `verify_http_p99_ms`: `POST /credentials/verify` with 50
 *   connections for 20 s, cycling through credentials Sello issued; beside it
 *   `baseline_http_per_s`, the same requests to a bare express route (bench/baseline-server.ts)
 *   in the same run. `health_p99_under_load_ms`: `GET /health`, one request at a time
 *   every 50 ms from a client of its own, while the verify load runs.
 * - `credential_page_per_s`, `credential_page_p99_ms`: `GET /credentials/<id>` (the
 *   public page) the same way, beside the bare express GET (`baseline_http_get_per_s`).
 *
 * Only 2xx answers count as served; anything else is reported (non2xx, errors). Sello's
 * CPU seconds over each run are read from /proc. autocannon shares the machine's cores
 * with Sello: on 2 cores it takes a part of one, as a real client elsewhere would not.
 */
import http from 'node:http';
import autocannon, { type Request, type Result } from 'autocannon';
import { figure, percentile, processCpuSeconds, processRssMb, type BenchOptions, type Figures } from './figures.ts';
import { startBaselineServer, startSelloProcess, type SelloProcess } from './sello-process.ts';

/** One GET at a time on a connection of its own, timed; what a health check sees. */
function timedGet(url: string): Promise<number> {
  return new Promise((resolve) => {
    const started = performance.now();
    const req = http.get(url, { agent: false, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200 ? performance.now() - started : Infinity));
    });
    req.on('error', () => resolve(Infinity));
    req.on('timeout', () => req.destroy());
  });
}

/** Samples `url` every `everyMs` until stopped; returns the latencies (Infinity for a failure). */
function sample(url: string, everyMs: number): { stop(): Promise<number[]> } {
  const samples: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      samples.push(await timedGet(url));
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return samples;
    },
  };
}

interface Load {
  perSecond: number;
  p50Ms: number | null;
  p99Ms: number | null;
  served: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  seconds: number;
  statusCodes: Record<string, number>;
  serverCpuSeconds: number | null;
  serverRssMb: { before: number | null; after: number | null };
}

async function load(params: { url: string; pid: number; connections: number; duration: number; requests: Request[] }): Promise<Load> {
  const cpuBefore = processCpuSeconds(params.pid);
  const rssBefore = processRssMb(params.pid);
  const result: Result = await autocannon({ url: params.url, connections: params.connections, duration: params.duration, timeout: 30, requests: params.requests });
  const cpuAfter = processCpuSeconds(params.pid);
  return {
    perSecond: result['2xx'] / result.duration,
    // No answer at all in the run: no latency to report (autocannon says 0).
    p50Ms: result['2xx'] + result.non2xx > 0 ? result.latency.p50 : null,
    p99Ms: result['2xx'] + result.non2xx > 0 ? result.latency.p99 : null,
    served: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    seconds: result.duration,
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, stats]) => [code, Number(stats.count)])),
    serverCpuSeconds: cpuBefore === null || cpuAfter === null ? null : Number((cpuAfter - cpuBefore).toFixed(2)),
    serverRssMb: { before: rssBefore, after: processRssMb(params.pid) },
  };
}

async function issueCredentials(sello: SelloProcess, count: number): Promise<Array<Record<string, unknown>>> {
  const issued: Array<Record<string, unknown>> = [];
  for (let i = 0; i < count; i += 1) {
    const res = await fetch(`${sello.url}/credentials/issue`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sello.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        credential: { credentialSubject: { achievement: { name: 'Python Basics', description: 'Completed the Python basics module.', criteria: { narrative: 'Score 80% or more in every quiz.' } } } },
        options: { recipient: { email: `learner${i}@example.edu`, name: `Learner ${i}` } },
      }),
    });
    if (res.status !== 201) throw new Error(`issuing credential ${i} failed: ${res.status} ${await res.text()}`);
    issued.push(((await res.json()) as { verifiableCredential: Record<string, unknown> }).verifiableCredential);
  }
  return issued;
}

/** Waits until Sello verifies the credentials (anchored on its embedded chain), so the run measures verified answers. */
async function waitUntilVerified(sello: SelloProcess, credentials: Array<Record<string, unknown>>): Promise<void> {
  const deadline = Date.now() + 180_000;
  for (const credential of [credentials[0]!, credentials.at(-1)!]) {
    for (;;) {
      const res = await fetch(`${sello.url}/credentials/verify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ verifiableCredential: credential }) });
      if (res.status === 200) break;
      if (Date.now() > deadline) throw new Error(`credential not verified: ${res.status} ${(await res.text()).slice(0, 1000)}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

export default async function httpBench({ quick }: BenchOptions): Promise<Figures> {
  const connections = 50;
  const duration = quick ? 2 : 20;
  const database = process.env.SELLO_BENCH_HTTP_DATABASE === 'embedded' ? 'embedded' : 'postgres';
  const baseline = await startBaselineServer();
  // Anchors every 1 s, so the issued credentials are anchored before the run.
  // VERIFY_WORKER_NICE passes through, to compare runs with the workers' priority lowered and not.
  const workerNice = process.env.VERIFY_WORKER_NICE;
  // SELLO_BENCH_NODE_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof": profile Sello under this load (one profile per thread, workers included).
  const nodeFlags = process.env.SELLO_BENCH_NODE_FLAGS?.split(/\s+/).filter(Boolean) ?? [];
  const sello = await startSelloProcess({ database, env: { ANCHOR_BATCH_MAX_WAIT_S: '1', ...(workerNice !== undefined ? { VERIFY_WORKER_NICE: workerNice } : {}) }, nodeFlags });
  try {
    const credentials = await issueCredentials(sello, quick ? 20 : 100);
    await waitUntilVerified(sello, credentials);
    const verifyRequests = credentials.map((credential) => ({
      method: 'POST',
      path: '/credentials/verify',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ verifiableCredential: credential }),
    }));
    const pageRequests = credentials.map((credential) => ({ method: 'GET', path: `/credentials/${String(credential.id).replace('urn:uuid:', '')}` }));

    // Warm-up (JIT, worker threads, caches of contexts and DIDs); not counted.
    await load({ url: sello.url, pid: sello.pid, connections: 10, duration: quick ? 1 : 3, requests: verifyRequests });
    await load({ url: sello.url, pid: sello.pid, connections: 10, duration: 1, requests: pageRequests });

    process.stderr.write(`bench: http verify, ${connections} connections, ${duration} s\n`);
    const health = sample(`${sello.url}/health`, 50);
    const verify = await load({ url: sello.url, pid: sello.pid, connections, duration, requests: verifyRequests });
    const healthMs = await health.stop();
    const verifyBaseline = await load({ url: baseline.url, pid: baseline.pid, connections, duration, requests: verifyRequests });

    process.stderr.write(`bench: http credential page, ${connections} connections, ${duration} s\n`);
    const page = await load({ url: sello.url, pid: sello.pid, connections, duration, requests: pageRequests });
    const pageBaseline = await load({ url: baseline.url, pid: baseline.pid, connections, duration, requests: pageRequests });

    const where = { database, connections, seconds: duration, credentials: credentials.length, ...(workerNice !== undefined ? { verifyWorkerNice: Number(workerNice) } : {}) };
    return {
      verify_http_per_s: figure({
        value: verify.perSecond,
        unit: '/s',
        better: 'higher',
        baseline: { name: 'baseline_http_per_s', value: verifyBaseline.perSecond },
        cpuSeconds: verify.serverCpuSeconds,
        detail: { ...where, ...verify },
      }),
      verify_http_p99_ms: figure({
        value: verify.p99Ms,
        unit: 'ms',
        better: 'lower',
        baseline: { name: 'baseline_http_p99_ms', value: verifyBaseline.p99Ms },
        target: { op: '<=', value: 250, text: 'p99 ≤ 250 ms' },
        detail: { p50Ms: verify.p50Ms },
      }),
      baseline_http_per_s: figure({ value: verifyBaseline.perSecond, unit: '/s', better: 'higher', cpuSeconds: verifyBaseline.serverCpuSeconds, detail: { ...where, ...verifyBaseline } }),
      health_p99_under_load_ms: figure({
        value: percentile(healthMs, 99),
        unit: 'ms',
        better: 'lower',
        target: { op: '<=', value: 50, text: '< 50 ms during the verify run' },
        detail: { samples: healthMs.length, failed: healthMs.filter((ms) => ms === Infinity).length, p50Ms: percentile(healthMs, 50) },
      }),
      credential_page_per_s: figure({
        value: page.perSecond,
        unit: '/s',
        better: 'higher',
        baseline: { name: 'baseline_http_get_per_s', value: pageBaseline.perSecond },
        target: { op: '>=', value: 1000, text: '≥ 1,000/s on 2 cores' },
        cpuSeconds: page.serverCpuSeconds,
        detail: { ...where, ...page },
      }),
      credential_page_p99_ms: figure({
        value: page.p99Ms,
        unit: 'ms',
        better: 'lower',
        baseline: { name: 'baseline_http_get_p99_ms', value: pageBaseline.p99Ms },
        target: { op: '<=', value: 100, text: 'p99 ≤ 100 ms' },
        detail: { p50Ms: page.p50Ms },
      }),
      baseline_http_get_per_s: figure({ value: pageBaseline.perSecond, unit: '/s', better: 'higher', cpuSeconds: pageBaseline.serverCpuSeconds, detail: { ...where, ...pageBaseline } }),
    };
  } catch (error) {
    process.stderr.write(`${sello.output().slice(-3000)}\n`);
    throw error;
  } finally {
    await sello.close();
    await baseline.close();
  }
}
