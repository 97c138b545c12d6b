/**
 * `issuance_1000_learners_s`: a course of 1,000 learners whose grades all cross the
 * threshold at once; seconds from the AGS sync starting to every badge score posted to
 * the sandbox LMS gradebook, on PostgreSQL and on the embedded database. Each run is a
 * child process (the test database is chosen per process), so both start cold alike.
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

export default async function issuanceBench(): Promise<Record<string, unknown>> {
  const postgres = await once(postgresUrl);
  const embedded = await once(null);
  const seconds = (figures: RunFigures | { error: string }) => ('seconds' in figures ? figures.seconds : null);
  return {
    issuance_1000_learners_s: { postgres: seconds(postgres), embedded: seconds(embedded) },
    issuance_1000_learners_detail: { postgres, embedded },
  };
}
