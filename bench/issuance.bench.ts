/**
 * Issuance figures: a course whose learners' grades all cross the threshold at once;
 * seconds from the AGS sync starting to every badge score posted to the sandbox LMS
 * gradebook (bench/issuance-child.ts, one child process per run, so every run starts
 * cold alike and the database is chosen per process).
 *
 * - `issuance_1000_learners_s`: PostgreSQL, 2 Sello processes (the scale-out
 *   deployment on this 2-core machine); `issuance_1000_learners_embedded_s`: the
 *   embedded database, one Sello process by nature (the sandbox LMS in another). Median of SELLO_BENCH_RUNS (3) runs each,
 *   alternating, every run listed; CPU seconds of all processes beside each.
 * - `issuance_10000_learners_s` (PostgreSQL, 2 processes): should grow linearly, ≤ 11×
 *   the 1,000 figure; with the growth of the resident set while it runs.
 *   `issuance_10000_learners_embedded_rss_mb`: peak RSS (VmHWM) of the process that runs
 *   Sello's issuance on the embedded database, the sandbox LMS elsewhere; < 500 MB.
 * - `issuance_scaling`: learners per second at 1, 2 and 3 Sello processes on one
 *   PostgreSQL; the figure is the 3-process throughput, its baseline the 1-process one.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { figure, type BenchOptions, type Figures } from './figures.ts';
import { ensureEmbeddedDataDir } from '../src/storage/embedded-data-dir.ts';

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
export const postgresUrl = process.env.SELLO_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface RunFigures {
  seconds: number;
  cpuSeconds: number;
  credentials: number;
  posted: number;
  rssGrowthMb: number;
  rssPeakMb: number;
  processes: number;
  [more: string]: unknown;
}
type RunResult = RunFigures | { error: string };

/**
 * An empty embedded cluster (initdb, nothing else), made the first time an embedded run
 * asks and copied by each one (`SELLO_BENCH_EMBEDDED_CLUSTER` in bench/issuance-child.ts):
 * initdb is not timed, and took 4-5 CPU-s of every embedded run. Removed when this
 * process exits.
 */
let emptyCluster: Promise<string> | null = null;
function embeddedCluster(): Promise<string> {
  emptyCluster ??= (async () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'sello-bench-cluster-'));
    process.once('exit', () => fs.rmSync(folder, { recursive: true, force: true }));
    await ensureEmbeddedDataDir(path.join(folder, 'pg'));
    return path.join(folder, 'pg');
  })();
  return emptyCluster;
}

/**
 * One issuance run in a child process: `learners` on PostgreSQL with `processes` Sello
 * processes, or embedded (databaseUrl null); on PostgreSQL, after an untimed warm-up
 * issuance to `warmLearners` others through the same processes.
 */
export async function issuanceRun(params: {
  databaseUrl: string | null;
  learners: number;
  processes?: number;
  warmLearners?: number;
  /** Cores' worth of CPU for each Sello process (bench/cpu-share.ts); unset, they share the machine. */
  cpuPerProcess?: number | null;
}): Promise<RunResult> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SELLO_BENCH_LEARNERS: String(params.learners),
    SELLO_BENCH_EXTRA_WORKERS: String((params.processes ?? 2) - 1),
    SELLO_BENCH_WARM_LEARNERS: String(params.warmLearners ?? 0),
  };
  delete env.DATABASE_URL;
  delete env.SELLO_BENCH_CPU_PER_PROCESS;
  delete env.SELLO_BENCH_EMBEDDED_CLUSTER;
  if (!params.databaseUrl) env.SELLO_BENCH_EMBEDDED_CLUSTER = await embeddedCluster();
  if (params.cpuPerProcess != null) env.SELLO_BENCH_CPU_PER_PROCESS = String(params.cpuPerProcess);
  if (params.databaseUrl) env.DATABASE_URL = params.databaseUrl;
  try {
    // execArgv carries the Node flags `npm start` runs Sello with (young generation size).
    const { stdout } = await run(process.execPath, [...process.execArgv, path.join(root, 'bin', 'run-ts.js'), path.join(here, 'issuance-child.ts')], {
      cwd: root,
      env,
      maxBuffer: 16 * 1024 * 1024,
      timeout: 30 * 60_000,
    });
    const figures = JSON.parse(stdout.trim().split('\n').at(-1)!) as RunFigures;
    if (figures.credentials !== params.learners || figures.posted !== params.learners) {
      return { error: `expected ${params.learners} credentials and posted badges, got ${figures.credentials} and ${figures.posted}` };
    }
    return figures;
  } catch (error) {
    return { error: (error as Error).message.split('\n').slice(0, 3).join(' ') };
  }
}

/** The median run (by seconds); an error when any run failed. */
export function median(results: RunResult[]): RunResult {
  const finished = results.filter((figures): figures is RunFigures => 'seconds' in figures).sort((a, b) => a.seconds - b.seconds);
  if (finished.length < results.length) return results.find((figures) => 'error' in figures)!;
  return finished[Math.floor((finished.length - 1) / 2)]!;
}

/** Targets scaled to a run's size, without floating-point noise in their text (1.2, not 1.2000000000000002). */
const round = (value: number) => Number(value.toFixed(2));
const seconds = (figures: RunResult) => ('seconds' in figures ? figures.seconds : null);
const cpu = (figures: RunResult) => ('seconds' in figures ? figures.cpuSeconds : null);

export default async function issuanceBench({ quick }: BenchOptions): Promise<Figures> {
  const learners = Number(process.env.SELLO_BENCH_LEARNERS ?? (quick ? 100 : 1000));
  const bigLearners = quick ? 300 : 10 * learners;
  const runs = quick ? 1 : Math.max(1, Number(process.env.SELLO_BENCH_RUNS ?? 3));
  const results = { postgres: [] as RunResult[], embedded: [] as RunResult[] };
  // `--quick` is a smoke check, not a figure to quote: there the two databases' runs go
  // side by side, since most of a small run is its processes starting.
  const pair = async <A, B>(first: () => Promise<A>, second: () => Promise<B>): Promise<[A, B]> =>
    quick ? Promise.all([first(), second()]) : [await first(), await second()];
  for (let i = 0; i < runs; i += 1) {
    process.stderr.write(`bench: issuance ${learners} learners, run ${i + 1}/${runs}\n`);
    // Embedded first: a PostgreSQL run leaves the server writing behind it (checkpoint,
    // autovacuum), which a run right after it would pay for.
    const [embeddedRun, postgresRun] = await pair(
      () => issuanceRun({ databaseUrl: null, learners }),
      () => issuanceRun({ databaseUrl: postgresUrl, learners, processes: 2 }),
    );
    results.embedded.push(embeddedRun);
    results.postgres.push(postgresRun);
  }
  const postgres = median(results.postgres);
  const embedded = median(results.embedded);
  process.stderr.write(`bench: issuance ${bigLearners} learners\n`);
  const [big, bigEmbedded] = await pair(
    () => issuanceRun({ databaseUrl: postgresUrl, learners: bigLearners, processes: 2 }),
    () => issuanceRun({ databaseUrl: null, learners: bigLearners }),
  );
  const scale = bigLearners / learners;
  return {
    [`issuance_${learners}_learners_s`]: figure({
      value: seconds(postgres),
      unit: 's',
      better: 'lower',
      target: { op: '<=', value: round(8 * (learners / 1000)), text: `≤ ${round(8 * (learners / 1000))} s on PostgreSQL with 2 processes` },
      cpuSeconds: cpu(postgres),
      detail: { database: 'postgres', processes: 2, runs: results.postgres.map(seconds), median: postgres },
    }),
    [`issuance_${learners}_learners_embedded_s`]: figure({
      value: seconds(embedded),
      unit: 's',
      better: 'lower',
      target: { op: '<=', value: round(12 * (learners / 1000)), text: `≤ ${round(12 * (learners / 1000))} s embedded` },
      cpuSeconds: cpu(embedded),
      detail: { database: 'embedded', processes: 1, runs: results.embedded.map(seconds), median: embedded },
    }),
    [`issuance_${bigLearners}_learners_s`]: figure({
      value: seconds(big),
      unit: 's',
      better: 'lower',
      baseline: { name: `issuance_${learners}_learners_s × ${scale}`, value: (seconds(postgres) ?? NaN) * scale },
      target: { op: '<=', value: Number(((seconds(postgres) ?? NaN) * scale * 1.1).toFixed(1)), text: `≤ ${round(scale * 1.1)}× the ${learners}-learner figure (linear)` },
      cpuSeconds: cpu(big),
      detail: { database: 'postgres', processes: 2, rss_growth_mb: 'rssGrowthMb' in big ? big.rssGrowthMb : null, run: big },
    }),
    [`issuance_${bigLearners}_learners_embedded_rss_mb`]: figure({
      value: 'rssPeakMb' in bigEmbedded ? bigEmbedded.rssPeakMb : null,
      unit: 'MB',
      better: 'lower',
      target: { op: '<=', value: 500, text: '< 500 MB peak RSS of the embedded Sello process' },
      cpuSeconds: cpu(bigEmbedded),
      detail: { database: 'embedded', seconds: seconds(bigEmbedded), run: bigEmbedded },
    }),
  };
}
