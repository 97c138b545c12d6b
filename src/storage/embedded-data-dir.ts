/**
 * The embedded database's data directory: created once, in a child process, and opened
 * with a buffer pool sized for one institution's Sello.
 *
 * Why a child process: PGlite runs initdb inside the process that creates the directory,
 * and the WebAssembly memory initdb grows is never given back. Measured on Node 20 with
 * PGlite 0.5 (bench/JOURNAL.md, "Embedded memory"): a process that created its data
 * directory holds 800–860 MB; one that opens a directory that already exists holds
 * about 300 MB, and about 215 MB with the smaller buffer pool below. So the first start
 * creates the directory in a short-lived process, and every start, the first included,
 * opens an existing one.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { StorageError } from '../errors.ts';

/**
 * PostgreSQL's `shared_buffers` for the embedded database (PostgreSQL's default is
 * 128MB). The embedded database serves one process; what does not fit is read through
 * the operating system's page cache. Measured, 1,000-learner issuance, two runs each
 * (bench/JOURNAL.md, "Embedded memory"): 8.9–9.5 s and 11.5–12.3 CPU-s at 32MB against
 * 9.2–9.4 s and 11.8–12.1 CPU-s at 128MB, with a peak of 549–553 MB against 659–670 MB.
 */
export const EMBEDDED_SHARED_BUFFERS = '32MB';

/** PGlite's start parameters with Sello's buffer pool. */
export function embeddedStartParams(): string[] {
  return [...PGlite.defaultStartParams, '-c', `shared_buffers=${EMBEDDED_SHARED_BUFFERS}`];
}

/** True when `dataDir` holds a PostgreSQL cluster (initdb writes PG_VERSION last but one). */
export function isInitializedDataDir(dataDir: string): boolean {
  return fs.existsSync(path.join(dataDir, 'PG_VERSION')) && fs.existsSync(path.join(dataDir, 'global', 'pg_control'));
}

/**
 * Creates the PostgreSQL cluster in `dataDir` when there is none, in a child process.
 * initdb writes into a sibling folder that is renamed into place once complete, so a
 * start interrupted half-way leaves no half-made cluster behind, only a folder the next
 * start removes. The caller holds the data directory's lock.
 *
 * @throws StorageError `database_unreachable` when initdb fails (its last output in the message).
 */
export async function ensureEmbeddedDataDir(dataDir: string): Promise<void> {
  if (isInitializedDataDir(dataDir)) return;
  const resolved = path.resolve(dataDir);
  // The caller holds the data directory's lock: no other process is making this one.
  const staging = `${resolved}.initdb`;
  fs.rmSync(staging, { recursive: true, force: true });
  try {
    await runInitdb(staging);
    // An empty data directory (made by the caller, or by an older Sello) gives way.
    if (fs.existsSync(resolved) && fs.readdirSync(resolved).length === 0) fs.rmdirSync(resolved);
    if (fs.existsSync(resolved)) {
      throw new Error(`${resolved} exists, is not empty and holds no PostgreSQL cluster; move it away or point SELLO_DATA_DIR elsewhere`);
    }
    fs.renameSync(staging, resolved);
  } catch (cause) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw new StorageError(
      'database_unreachable',
      `Cannot create the embedded database in ${resolved}: ${(cause as Error).message}`,
      { dataDir: resolved },
      { cause },
    );
  }
}

function runInitdb(target: string): Promise<void> {
  const pglite = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  const script = [
    `const { PGlite } = require(${JSON.stringify(pglite)});`,
    `PGlite.create(process.argv[1], { startParams: JSON.parse(process.argv[2]) })`,
    `  .then((db) => db.query('SELECT 1').then(() => db.close()))`,
    `  .catch((error) => { console.error(error && error.message ? error.message : String(error)); process.exit(1); });`,
  ].join('\n');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script, target, JSON.stringify(embeddedStartParams())], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-2000);
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0 && isInitializedDataDir(target)) resolve();
      else reject(new Error(`initdb ${signal ? `was stopped by ${signal}` : `exited with ${code}`}${stderr.trim() ? `: ${stderr.trim().split('\n').pop()}` : ''}`));
    });
  });
}
