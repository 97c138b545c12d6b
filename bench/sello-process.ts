/**
 * Sello as a deployment runs it, for the HTTP figures: `node bin/sello.js serve` (what
 * `npm start` runs) in a process of its own, on a fresh
 * PostgreSQL database (`sello_bench_<pid>_<port>`, created fresh, dropped at the end) or a fresh embedded
 * data folder, with the embedded chain. The bench talks to it over loopback only, and
 * reads its CPU time and resident set from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { freePort } from '../test/support/free-port.ts';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface SelloProcess {
  url: string;
  pid: number;
  adminToken: string;
  database: 'postgres' | 'embedded';
  /** What it printed (stderr and stdout), for a failure message. */
  output(): string;
  close(): Promise<void>;
}

/** The PostgreSQL server the bench uses (its `test` database is only used to create `sello_bench_…`). */
export const benchPostgresUrl = process.env.SELLO_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Drops and creates a database of its own for one bench run; returns its URL. */
export async function freshPostgresDatabase(name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: benchPostgresUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(benchPostgresUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function dropPostgresDatabase(name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: benchPostgresUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/** Polls `url` until it answers 200, the process exits, or `timeoutMs` passes. */
export async function waitForHttp(url: string, child: ChildProcess, timeoutMs: number, output: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`process exited with ${child.exitCode} before answering ${url}:\n${output().slice(-2000)}`);
    try {
      const res = await fetch(url);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms:\n${output().slice(-2000)}`);
}

/** Starts Sello as `npm start` would; `database: 'postgres'` uses a fresh `sello_bench_<pid>_<port>` database, dropped at `close`. */
export async function startSelloProcess(params: {
  database: 'postgres' | 'embedded';
  env?: Record<string, string>;
  /** More flags for node, such as `--cpu-prof` (not allowed in NODE_OPTIONS) to profile a run. */
  nodeFlags?: string[];
}): Promise<SelloProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const adminToken = crypto.randomBytes(24).toString('hex');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sello-bench-'));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: url,
    ADMIN_TOKEN: adminToken,
    SELLO_KEK: crypto.randomBytes(32).toString('hex'),
    SELLO_DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    DEMO: '0',
    // Every client here is the load generator on one address: no per-client limit.
    VERIFY_RATE_LIMIT: '0',
    ...params.env,
  };
  // A name of its own: two benches on one machine (sessions share it) would otherwise drop
  // each other's database mid-run.
  const databaseName = `sello_bench_${process.pid}_${port}`;
  if (params.database === 'postgres') env.DATABASE_URL = await freshPostgresDatabase(databaseName);
  let output = '';
  const child = spawn(process.execPath, [...(params.nodeFlags ?? []), path.join(root, 'bin', 'sello.js'), 'serve'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
  child.stderr!.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
  const close = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      const killed = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await new Promise((resolve) => child.once('exit', resolve));
      clearTimeout(killed);
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
    if (params.database === 'postgres') await dropPostgresDatabase(databaseName).catch(() => {});
  };
  try {
    // Start-up on a busy 2-core machine (first PGlite initdb, contract deployments) has taken 90 s.
    await waitForHttp(`${url}/health`, child, 300_000, () => output);
  } catch (error) {
    await close();
    throw error;
  }
  return { url, pid: child.pid!, adminToken, database: params.database, output: () => output, close };
}

/** The bare express baseline (bench/baseline-server.ts) in a process of its own. */
export async function startBaselineServer(): Promise<{ url: string; pid: number; close(): Promise<void> }> {
  const port = await freePort();
  let output = '';
  const child = spawn(process.execPath, [path.join(root, 'bin', 'run-ts.js'), path.join(root, 'bench', 'baseline-server.ts')], {
    cwd: root,
    env: { PATH: process.env.PATH, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const close = async () => {
    if (child.exitCode !== null) return;
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  };
  try {
    await waitForHttp(`${url}/health`, child, 120_000, () => output);
  } catch (error) {
    await close();
    throw error;
  }
  return { url, pid: child.pid!, close };
}
