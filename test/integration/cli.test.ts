import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../support/config.ts';

const root = path.resolve(import.meta.dirname, '..', '..');
const dataDir = makeTempDir();
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

function sello(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [path.join(root, 'bin', 'sello.js'), ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', SELLO_DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('the sello command', () => {
  it('prints help listing its subcommands', () => {
    const result = sello(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/serve/);
    expect(result.stdout).toMatch(/migrate/);
  });

  it('migrates the embedded database, then reports it up to date', () => {
    const first = sello(['migrate']);
    expect(first.stderr).toBe('');
    expect(first.stdout).toMatch(/Applied \d+ migration/);
    const second = sello(['migrate']);
    expect(second.stdout).toMatch(/up to date/);
    expect(second.code).toBe(0);
  });

  it('names an unknown command instead of running the server', () => {
    const result = sello(['bogus']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^sello: unknown command 'bogus'\. Commands: serve, migrate/);
  });

  it('stops with exit code 2 and names the bad variable', () => {
    const result = sello(['migrate'], { PORT: 'abc' });
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toMatch(/^sello: Invalid configuration: PORT: /);
  });

  it('stops with one clear line when the database URL is wrong', () => {
    const result = sello(['migrate'], { DATABASE_URL: 'postgres://nobody:pw@127.0.0.1:1/none' });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/Cannot connect to PostgreSQL at postgres:\/\/nobody:\*\*\*@127\.0\.0\.1:1\/none/);
  });
});
