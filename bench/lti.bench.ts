/**
 * LTI figures: `lti_launch_p50_ms` / `lti_launch_p99_ms`, full LTI 1.3 launches (LMS
 * login initiation → Sello's OIDC login → the platform's auth answering with a signed
 * id_token form → Sello's launch checking it against the platform's JWKS → the landing
 * page) through the sandbox LMS's real id_tokens, 50 at a time, against Sello started
 * as a deployment starts it (bench/sello-process.ts; PostgreSQL, or
 * SELLO_BENCH_HTTP_DATABASE=embedded). The baseline: the same number of HTTP requests
 * in a row (5) to a bare express app, 50 clients at a time, in the same run.
 */
import { startSandboxLms, ROLE } from '../src/sandbox-lms/index.ts';
import { createBrowser } from '../test/support/sandbox-lms/browser.ts';
import { figure, percentile, processCpuSeconds, type BenchOptions, type Figures } from './figures.ts';
import { startBaselineServer, startSelloProcess } from './sello-process.ts';

const HOPS_PER_LAUNCH = 5;

/** Runs `total` tasks, `concurrency` at a time; returns each one's milliseconds. */
async function timedConcurrently(total: number, concurrency: number, task: (i: number) => Promise<void>): Promise<number[]> {
  const times: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const started = performance.now();
        try {
          await task(i);
          times.push(performance.now() - started);
        } catch {
          // counted by the task
        }
      }
    }),
  );
  return times;
}

export default async function ltiBench({ quick }: BenchOptions): Promise<Figures> {
  const concurrency = 50;
  const launches = quick ? 100 : 500;
  const database = process.env.SELLO_BENCH_HTTP_DATABASE === 'embedded' ? 'embedded' : 'postgres';
  const lms = await startSandboxLms({ pageSize: 50 });
  const baseline = await startBaselineServer();
  // The sandbox LMS listens on 127.0.0.1: Sello may fetch its JWKS there.
  // SELLO_BENCH_NODE_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof": profile Sello under this load.
  const nodeFlags = process.env.SELLO_BENCH_NODE_FLAGS?.split(/\s+/).filter(Boolean) ?? [];
  const sello = await startSelloProcess({ database, env: { OUTBOUND_ALLOW_PRIVATE: 'true' }, nodeFlags });
  try {
    const registration = lms.registerToolManually({ loginUrl: `${sello.url}/lti/login`, launchUrl: `${sello.url}/lti/launch`, jwksUrl: `${sello.url}/lti/keys`, deploymentId: '1' });
    const added = await fetch(`${sello.url}/admin/api/platforms`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sello.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ issuer: lms.issuer, clientId: registration.clientId, authUrl: `${lms.url}/auth`, tokenUrl: `${lms.url}/token`, jwksUrl: `${lms.url}/jwks`, deploymentId: '1' }),
    });
    if (added.status !== 201) throw new Error(`registration failed: ${added.status} ${await added.text()}`);
    lms.addCourse({ id: 'bench', title: 'Bench' });
    for (let i = 0; i < launches; i += 1) {
      lms.addUser({ sub: `u${i}` });
      lms.enroll('bench', `u${i}`, [i === 0 ? ROLE.instructor : ROLE.learner]);
    }
    // A failed launch is counted and reported, not timed; the run goes on.
    const failures: string[] = [];
    const launch = async (i: number) => {
      const browser = createBrowser();
      const landed = await browser.submit(await browser.get(lms.initiateLaunch({ clientId: registration.clientId, userSub: `u${i}`, courseId: 'bench' }).url));
      if (landed.status !== 200) {
        failures.push(`${landed.status} ${landed.text.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').slice(0, 200)}`);
        throw new Error('launch failed');
      }
    };
    // Warm-up: the platform's JWKS fetched once, JIT; not counted.
    for (let i = 0; i < 5; i += 1) await launch(launches - 1 - i);
    const cpuBefore = processCpuSeconds(sello.pid);
    const wall = performance.now();
    const launchMs = await timedConcurrently(launches - 5, concurrency, launch);
    const seconds = (performance.now() - wall) / 1000;
    const cpuAfter = processCpuSeconds(sello.pid);
    const baselineMs = await timedConcurrently(launches - 5, concurrency, async () => {
      for (let hop = 0; hop < HOPS_PER_LAUNCH; hop += 1) {
        const res = await fetch(`${baseline.url}/credentials/hop-${hop}`);
        await res.text();
      }
    });
    const where = {
      database,
      concurrency,
      launches: launchMs.length,
      failedLaunches: failures.length,
      failures: [...new Set(failures)].slice(0, 5),
      launchesPerSecond: Number((launchMs.length / seconds).toFixed(1)),
    };
    return {
      lti_launch_p50_ms: figure({
        value: percentile(launchMs, 50),
        unit: 'ms',
        better: 'lower',
        baseline: { name: 'baseline_lti_launch_p50_ms', value: percentile(baselineMs, 50) },
        cpuSeconds: cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore,
        detail: where,
      }),
      lti_launch_p99_ms: figure({
        value: percentile(launchMs, 99),
        unit: 'ms',
        better: 'lower',
        baseline: { name: 'baseline_lti_launch_p99_ms', value: percentile(baselineMs, 99) },
        detail: where,
      }),
      baseline_lti_launch_p50_ms: figure({ value: percentile(baselineMs, 50), unit: 'ms', better: 'lower', detail: { requestsPerLaunch: HOPS_PER_LAUNCH, concurrency } }),
      baseline_lti_launch_p99_ms: figure({ value: percentile(baselineMs, 99), unit: 'ms', better: 'lower', detail: { requestsPerLaunch: HOPS_PER_LAUNCH, concurrency } }),
    };
  } catch (error) {
    process.stderr.write(`${sello.output().slice(-3000)}\n`);
    throw error;
  } finally {
    await sello.close();
    await baseline.close();
    await lms.close();
  }
}
