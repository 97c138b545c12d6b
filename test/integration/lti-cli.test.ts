/**
 * `sello platforms …` and `sello lti-config`: through the admin API of a running Sello,
 * directly on the database when none answers, with a clear message when a running Sello
 * holds the embedded database.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../support/config.ts';
import { startTestSello, type RunningTestSello } from '../support/sandbox-lms/sello.ts';
import { createPlatformRepository } from '../../src/storage/platform-repository.ts';

const root = path.resolve(import.meta.dirname, '..', '..');
const closedPort = 'http://127.0.0.1:9';
// Each run starts a process (tsx), may create an embedded database and an RSA-4096 key.
const CLI_TIMEOUT = 120_000;

function sello(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(root, 'bin', 'sello.js'), ...args],
      { cwd: root, env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', ...env }, encoding: 'utf8', timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const platformArgs = (clientId: string) => [
  'platforms',
  'add',
  '--issuer',
  'https://moodle.uni.example',
  '--client-id',
  clientId,
  '--auth-url',
  'https://moodle.uni.example/mod/lti/auth.php',
  '--token-url',
  'https://moodle.uni.example/mod/lti/token.php',
  '--jwks-url',
  'https://moodle.uni.example/mod/lti/certs.php',
  '--deployment-id',
  '7',
];

describe('the sello platforms and lti-config commands', () => {
  const dataDir = makeTempDir();
  let running: RunningTestSello;
  beforeAll(async () => {
    running = await startTestSello();
  });
  afterAll(async () => {
    await running?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }, CLI_TIMEOUT);

  it('registers a platform directly in the database when no Sello answers, then lists it', async () => {
    const env = { SELLO_DATA_DIR: dataDir, PUBLIC_URL: closedPort };
    const added = await sello(platformArgs('moodle-client-1'), env);
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    expect(added.stdout).toContain('Registered directly in the database');
    expect(added.stdout).toMatch(/active\s+https:\/\/moodle\.uni\.example {2}client moodle-client-1 {2}deployments 7/);
    const listed = await sello(['platforms', 'list'], env);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('moodle-client-1');
  }, CLI_TIMEOUT);

  it('registers through the admin API of a running Sello', async () => {
    const added = await sello([...platformArgs('moodle-client-2'), '--url', running.url], {
      SELLO_DATA_DIR: makeTempDir(),
      ADMIN_TOKEN: running.adminToken,
    });
    expect(added.stderr).toBe('');
    expect(added.stdout).toContain(`Registered through the running Sello at ${running.url}`);
    const platform = await createPlatformRepository(running.db).findByIssuerAndClient('https://moodle.uni.example', 'moodle-client-2');
    expect(platform).toMatchObject({ status: 'active', registeredVia: 'cli', deploymentIds: ['7'] });
  }, CLI_TIMEOUT);

  it('makes a one-time registration link through the admin API of a running Sello', async () => {
    const made = await sello(['platforms', 'invite', '--hours', '2', '--url', running.url], {
      SELLO_DATA_DIR: makeTempDir(),
      ADMIN_TOKEN: running.adminToken,
    });
    expect(made.stderr).toBe('');
    expect(made.code).toBe(0);
    const url = /(http\S+\/lti\/register\?invite=\S+)/.exec(made.stdout)?.[1];
    expect(url).toMatch(new RegExp(`^${running.url}/lti/register\\?invite=[A-Za-z0-9_-]{32}$`));
    expect(await running.lti.invites.isUsable(new URL(url!).searchParams.get('invite')!)).toBe(true);
  }, CLI_TIMEOUT);

  it('says so when the running Sello refuses the admin token', async () => {
    const refused = await sello([...platformArgs('moodle-client-3'), '--url', running.url], {
      SELLO_DATA_DIR: makeTempDir(),
      ADMIN_TOKEN: 'a-wrong-token-that-is-long-enough-0000',
    });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('refused the admin token');
  }, CLI_TIMEOUT);

  it('refuses bad input with exit code 2 naming the option', async () => {
    const args = platformArgs('x');
    args[3] = 'moodle.uni.example';
    const bad = await sello(args, { SELLO_DATA_DIR: makeTempDir(), PUBLIC_URL: closedPort });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--issuer');
  }, CLI_TIMEOUT);

  it('explains that a running Sello holds the embedded database', async () => {
    const locked = makeTempDir();
    // The lock file of a live process (this test runner) stands for a running Sello.
    fs.writeFileSync(path.join(locked, 'sello.lock'), String(process.pid));
    const result = await sello(platformArgs('moodle-client-4'), { SELLO_DATA_DIR: locked, PUBLIC_URL: closedPort });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('A running Sello holds the embedded database');
  }, CLI_TIMEOUT);

  it('writes the Canvas JSON and the Moodle and Canvas guides for the deployment URL', async () => {
    const out = makeTempDir();
    const result = await sello(['lti-config', '--out', out], { SELLO_DATA_DIR: makeTempDir(), PUBLIC_URL: 'https://sello.uni.example' });
    expect(result.code).toBe(0);
    const canvas = JSON.parse(fs.readFileSync(path.join(out, 'canvas.json'), 'utf8'));
    expect(canvas.oidc_initiation_url).toBe('https://sello.uni.example/lti/login');
    expect(fs.readFileSync(path.join(out, 'moodle.md'), 'utf8')).toContain('https://sello.uni.example/lti/register');
    expect(fs.readFileSync(path.join(out, 'canvas.md'), 'utf8')).toContain('https://sello.uni.example/lti/canvas.json');
  }, CLI_TIMEOUT);
});
