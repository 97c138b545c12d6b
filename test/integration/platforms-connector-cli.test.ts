/**
 * Issue 12, install guides: `sello platforms connector <id> --kind --base-url --token`
 * over `PUT /admin/api/platforms/:id/connector`, or on the database when no Sello answers.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, testKek } from '../support/config.ts';
import { startTestSello, type RunningTestSello } from '../support/sandbox-lms/sello.ts';
import { createOutcomeSecretRepository } from '../../src/storage/outcome-secret-repository.ts';

const root = path.resolve(import.meta.dirname, '..', '..');
const CLI_TIMEOUT = 120_000;

function sello(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(root, 'bin', 'sello.js'), ...args],
      { cwd: root, env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', SELLO_KEK: testKek.toString('hex'), ...env }, encoding: 'utf8', timeout: 90_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('sello platforms connector', () => {
  let running: RunningTestSello;
  let platformId: string;
  const dataDir = makeTempDir();
  beforeAll(async () => {
    running = await startTestSello();
    const added = await fetch(`${running.url}/admin/api/platforms`, {
      method: 'POST',
      headers: { authorization: `Bearer ${running.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        issuer: 'https://moodle.uni.example',
        clientId: 'moodle-client-c',
        authUrl: 'https://moodle.uni.example/mod/lti/auth.php',
        tokenUrl: 'https://moodle.uni.example/mod/lti/token.php',
        jwksUrl: 'https://moodle.uni.example/mod/lti/certs.php',
      }),
    });
    platformId = ((await added.json()) as { platform: { id: string } }).platform.id;
  });
  afterAll(async () => {
    await running?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }, CLI_TIMEOUT);

  it('sets the Moodle web services connector through the running Sello, storing the token encrypted', async () => {
    const result = await sello(
      ['platforms', 'connector', platformId, '--kind', 'moodle', '--base-url', 'https://moodle.uni.example/', '--token', 'f2d9c0ffee0123456789abcdef012345', '--url', running.url],
      { SELLO_DATA_DIR: dataDir, ADMIN_TOKEN: running.adminToken },
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Set through the running Sello: moodle connector https://moodle.uni.example');
    expect(result.stdout).not.toContain('f2d9c0ffee');
    const connector = await createOutcomeSecretRepository({ db: running.db, kek: testKek }).findConnector(platformId);
    expect(connector).toMatchObject({ kind: 'moodle', baseUrl: 'https://moodle.uni.example', token: 'f2d9c0ffee0123456789abcdef012345' });
    const stored = await running.db.query<{ token: string | null; encrypted: string }>(
      'SELECT token, encrypted_token AS encrypted FROM outcome_connectors WHERE platform_id = $1',
      [platformId],
    );
    expect(stored.rows[0]!.token).toBeNull();
    expect(stored.rows[0]!.encrypted).not.toContain('f2d9c0ffee');
  }, CLI_TIMEOUT);

  it('sets it directly in the database when no Sello answers', async () => {
    const env = { SELLO_DATA_DIR: makeTempDir(), PUBLIC_URL: 'http://127.0.0.1:9' };
    const added = await sello(
      ['platforms', 'add', '--issuer', 'https://canvas.instructure.com', '--client-id', '10000000000001', '--auth-url', 'https://sso.canvaslms.com/api/lti/authorize_redirect', '--token-url', 'https://sso.canvaslms.com/login/oauth2/token', '--jwks-url', 'https://sso.canvaslms.com/api/lti/security/jwks'],
      env,
    );
    expect(added.code).toBe(0);
    const id = /^([0-9a-f-]{36}) /m.exec(added.stdout)![1]!;
    const set = await sello(['platforms', 'connector', id, '--kind', 'canvas', '--base-url', 'https://canvas.uni.example', '--token', '7~canvas-token-0123456789'], env);
    expect(set.stderr).toBe('');
    expect(set.stdout).toContain(`Set directly in the database: canvas connector https://canvas.uni.example for platform ${id}`);
    fs.rmSync(env.SELLO_DATA_DIR, { recursive: true, force: true });
  }, CLI_TIMEOUT);

  it('refuses a bad kind or URL with exit code 2 naming the option, and an unknown platform with 1', async () => {
    const badKind = await sello(['platforms', 'connector', platformId, '--kind', 'blackboard', '--base-url', 'https://lms.example', '--token', 'x'.repeat(20), '--url', running.url], {
      SELLO_DATA_DIR: dataDir,
      ADMIN_TOKEN: running.adminToken,
    });
    expect(badKind.code).toBe(2);
    expect(badKind.stderr).toContain('--kind');
    const badUrl = await sello(['platforms', 'connector', platformId, '--kind', 'canvas', '--base-url', 'canvas.example', '--token', 'x'.repeat(20), '--url', running.url], {
      SELLO_DATA_DIR: dataDir,
      ADMIN_TOKEN: running.adminToken,
    });
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toContain('--base-url');
    const unknown = await sello(
      ['platforms', 'connector', '00000000-0000-4000-8000-000000000000', '--kind', 'canvas', '--base-url', 'https://canvas.example', '--token', 'x'.repeat(20), '--url', running.url],
      { SELLO_DATA_DIR: dataDir, ADMIN_TOKEN: running.adminToken },
    );
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('No platform 00000000-0000-4000-8000-000000000000');
  }, CLI_TIMEOUT);
});
