/**
 * `issuance_1000_learners_s`: a course of 1,000 learners whose grades all cross the
 * threshold at once; seconds from the AGS sync starting to every badge score posted to
 * the sandbox LMS gradebook, on PostgreSQL and on the embedded database. Each run is a
 * child process (the test database is chosen per process), so both start cold alike;
 * the figure is the median of three runs per database, every run listed beside it.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const postgresUrl = process.env.SELLO_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

interface RunFigures {
  seconds: number;
  credentials: number;
  posted: number;
  rssGrowthMb: number;
  [more: string]: unknown;
}

async function once(databaseUrl: string | null): Promise<RunFigures | { error: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, SELLO_BENCH_LEARNERS: process.env.SELLO_BENCH_LEARNERS ?? '1000' };
  delete env.DATABASE_URL;
  if (databaseUrl) env.DATABASE_URL = databaseUrl;
  try {
    // execArgv carries the Node flags `npm start` runs Sello with (young generation size).
    const { stdout } = await run(process.execPath, [...process.execArgv, path.join(root, 'bin', 'run-ts.js'), path.join(here, 'issuance-child.ts')], {
      cwd: root,
      env,
      maxBuffer: 16 * 1024 * 1024,
      timeout: 15 * 60_000,
    });
    return JSON.parse(stdout.trim().split('\n').at(-1)!) as RunFigures;
  } catch (error) {
    return { error: (error as Error).message.split('\n')[0]! };
  }
}

/** Runs per database (SELLO_BENCH_RUNS, default 3): one run on a shared machine can be a neighbour's. */
const runs = Math.max(1, Number(process.env.SELLO_BENCH_RUNS ?? 3));

/** The median run (by seconds) of `runs`, alternating databases so both see the same neighbours. */
function median(results: Array<RunFigures | { error: string }>): RunFigures | { error: string } {
  const finished = results.filter((figures): figures is RunFigures => 'seconds' in figures).sort((a, b) => a.seconds - b.seconds);
  if (finished.length < results.length) return results.find((figures) => 'error' in figures)!;
  return finished[Math.floor((finished.length - 1) / 2)]!;
}

export default async function issuanceBench(): Promise<Record<string, unknown>> {
  const results = { postgres: [] as Array<RunFigures | { error: string }>, embedded: [] as Array<RunFigures | { error: string }> };
  for (let run = 0; run < runs; run += 1) {
    process.stderr.write(`bench: issuance run ${run + 1}/${runs}\n`);
    // Embedded first: a PostgreSQL run leaves the server writing behind it (checkpoint,
    // autovacuum), which a run right after it would pay for.
    results.embedded.push(await once(null));
    results.postgres.push(await once(postgresUrl));
  }
  const postgres = median(results.postgres);
  const embedded = median(results.embedded);
  const seconds = (figures: RunFigures | { error: string }) => ('seconds' in figures ? figures.seconds : null);
  return {
    issuance_1000_learners_s: { postgres: seconds(postgres), embedded: seconds(embedded) },
    issuance_1000_learners_runs_s: { postgres: results.postgres.map(seconds), embedded: results.embedded.map(seconds) },
    issuance_1000_learners_detail: { postgres, embedded },
  };
}
