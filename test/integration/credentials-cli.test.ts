import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Express } from 'express';
import { makeTempDir, testConfig } from '../support/config.ts';
import { openDatabase } from '../../src/storage/database.ts';
import { migrate } from '../../src/storage/migrate.ts';
import { createIssuerRepository, defaultIssuerProfile } from '../../src/storage/issuer-repository.ts';
import { createIssuerKeyProvider } from '../../src/issuance/issuer-keys.ts';
import { issueCredential } from '../../src/issuance/issue-credential.ts';
import { setCredentialStatus } from '../../src/issuance/credential-status.ts';
import { bakePng, bakeSvg } from '../../src/credentials/bake.ts';
import { generateBadgePng, generateBadgeSvg } from '../../src/credentials/badge-image.ts';
import { ADMIN, CHAIN, makeCredentialsApp } from './credentials-fixture.ts';

const root = path.resolve(import.meta.dirname, '..', '..');
const work = makeTempDir('sello-cli-verify-');

/** Runs the real `sello` command as a separate process (asynchronously: this process serves HTTP meanwhile). */
function sello(args: string[], input?: string, env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(root, 'bin', 'sello.js'), ...args], {
      cwd: root,
      // A data dir that does not exist: proves the command needs no database.
      env: { PATH: process.env.PATH ?? '', SELLO_DATA_DIR: path.join(work, 'no-such-dir'), LOG_LEVEL: 'silent', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('sello verify', () => {
  let t: Awaited<ReturnType<typeof makeCredentialsApp>>;
  let server: http.Server;
  const files: Record<string, string> = {};
  beforeAll(async () => {
    // The issuer's HTTP face on a real port, so the CLI fetches its DID document and status lists.
    let app: Express | null = null;
    server = http.createServer((req, res) => app!(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    t = await makeCredentialsApp({ env: { PUBLIC_URL: `http://localhost:${port}` } });
    app = t.app;
    const issue = () =>
      t.db.transaction((tx) =>
        issueCredential({ db: tx, keys: t.keys, publicUrl: t.config.publicUrl, chainReference: CHAIN, issuerId: t.issuer.id, achievement: t.achievement, recipient: { email: 'ana@example.edu', name: 'Ana' } }),
      );
    const good = await issue();
    const revoked = await issue();
    await setCredentialStatus({ db: t.db, credentialId: revoked.id, purpose: 'revocation', value: true, reason: 'test', actor: 'admin' });
    const write = (name: string, content: string | Buffer) => {
      files[name] = path.join(work, name);
      fs.writeFileSync(files[name]!, content);
    };
    write('good.json', JSON.stringify(good.document));
    write('tampered.json', JSON.stringify({ ...good.document, name: 'Changed' }));
    write('revoked.json', JSON.stringify(revoked.document));
    write('good.png', bakePng({ png: generateBadgePng({ achievementName: 'Python' }), credential: good.document }));
    write('good.svg', bakeSvg({ svg: generateBadgeSvg({ achievementName: 'Python', issuerName: 'Uni' }), credential: good.document }));
    write('plain.png', generateBadgePng({ achievementName: 'Python' }));
    write('malformed.json', '{"@context": [');
    // 10,000 levels: overflowed the JCS canonicaliser's stack (exit 1 with a stack trace).
    write('deep.json', JSON.stringify(good.document).replace(/}$/, `,"evidence":${'['.repeat(10_000)}${']'.repeat(10_000)}}`));
    write('did.json', JSON.stringify(await t.keys.didDocument(t.issuer.id)));
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await t.close();
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('exits 0 and prints a ✓ line per check for a good credential, with no database', async () => {
    const result = await sello(['verify', files['good.json']!]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/✓ schema/);
    expect(result.stdout).toMatch(/✓ signature/);
    expect(result.stdout).toMatch(/✓ status/);
    expect(result.stdout).toMatch(/– anchored_on_chain \(not_configured\)/);
    expect(result.stdout).toMatch(/^VERIFIED$/m);
  });

  it('works while a running Sello holds the embedded database', async () => {
    // The lock file a running server leaves: owned by a live process (this one).
    const locked = path.join(work, 'locked-data');
    fs.mkdirSync(locked, { recursive: true });
    fs.writeFileSync(path.join(locked, 'sello.lock'), String(process.pid));
    const result = await sello(['verify', files['good.json']!], undefined, { SELLO_DATA_DIR: locked });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('accepts baked PNG and SVG files and stdin', async () => {
    expect((await sello(['verify', files['good.png']!])).code).toBe(0);
    expect((await sello(['verify', files['good.svg']!])).code).toBe(0);
    expect((await sello(['verify', '-'], fs.readFileSync(files['good.json']!, 'utf8'))).code).toBe(0);
  });

  it('exits 1 for a tampered credential and names the failing check in JSON', async () => {
    const result = await sello(['verify', files['tampered.json']!, '--json']);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report.verified).toBe(false);
    expect(report.checks.find((c: { id: string }) => c.id === 'signature')).toMatchObject({ valid: false, error: 'invalid_signature' });
  });

  it('exits 1 for a revoked credential, reading the status list over HTTP', async () => {
    const result = await sello(['verify', files['revoked.json']!]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/✗ status \(revoked\)/);
  });

  it('exits 2 for malformed JSON and for a PNG without a baked credential', async () => {
    const malformed = await sello(['verify', files['malformed.json']!]);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(/not JSON/);
    const plain = await sello(['verify', files['plain.png']!]);
    expect(plain.code).toBe(2);
    expect(plain.stderr).toMatch(/no baked credential/);
    expect((await sello(['verify', path.join(work, 'missing.json')])).code).toBe(2);
  });

  it('exits 2 with one line, no stack trace, for a credential nested 10,000 levels deep', async () => {
    const deep = await sello(['verify', files['deep.json']!]);
    expect(deep.code).toBe(2);
    expect(deep.stderr).toMatch(/^sello: The credential file nests deeper than 64 levels/);
    expect(deep.stderr).not.toMatch(/RangeError|\n\s+at /);
  });

  it('rotates and lists keys through the running Sello, printing public keys only', async () => {
    const env = { ADMIN_TOKEN: ADMIN, SELLO_KEK: '00'.repeat(32) };
    const rotated = await sello(['keys', 'rotate', '--url', t.config.publicUrl, '--reason', 'test rotation'], undefined, env);
    expect(rotated.stderr).toBe('');
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toMatch(/Rotated\. New current key: did:web:localhost%3A\d+#key-\S+\s+z6Mk\S+\s+.*CURRENT/);
    const listed = await sello(['keys', 'list', '--url', t.config.publicUrl, '--json'], undefined, env);
    expect(listed.code).toBe(0);
    const keys = JSON.parse(listed.stdout) as Array<{ validUntil: string | null }>;
    expect(keys.length).toBeGreaterThanOrEqual(2);
    expect(keys.filter((k) => k.validUntil === null)).toHaveLength(1);
    expect(listed.stdout).not.toMatch(/secret|zrv/i);
    // Older credentials keep verifying after the rotation.
    expect((await sello(['verify', files['good.json']!])).code).toBe(0);
  });

  it('revokes a key through the running Sello, refusing the current one', async () => {
    const env = { ADMIN_TOKEN: ADMIN, SELLO_KEK: '00'.repeat(32) };
    const current = (await t.keys.list(t.issuer.id)).find((key) => key.validUntil === null)!;
    const refused = await sello(['keys', 'revoke', current.keyId, '--url', t.config.publicUrl, '--reason', 'key leaked'], undefined, env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/409 current_key_revoke_conflict: .*rotate first/);
    await t.keys.rotate(t.issuer.id, { actor: 'test', reason: 'key leaked' });
    const revoked = await sello(['keys', 'revoke', current.keyId, '--url', t.config.publicUrl, '--reason', 'key leaked'], undefined, env);
    expect(revoked.stderr).toBe('');
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain(`Revoked: ${current.keyId}  ${current.publicKeyMultibase}`);
    expect(revoked.stdout).toMatch(/ revoked \d{4}-\d\d-\d\dT/);
    expect((await t.keys.list(t.issuer.id)).find((key) => key.keyId === current.keyId)).toMatchObject({ revoked: true });
  });

  it('revokes a key directly on the database when no Sello answers', async () => {
    const closedPort = 'http://127.0.0.1:9';
    const dataDir = makeTempDir('sello-cli-keys-');
    const config = testConfig({ SELLO_DATA_DIR: dataDir, PUBLIC_URL: closedPort });
    const db = await openDatabase(config.database);
    let retired: string;
    try {
      await migrate(db);
      const issuer = await createIssuerRepository(db).upsert(defaultIssuerProfile(config.issuer));
      const keys = createIssuerKeyProvider({ db, kek: config.secrets.keyEncryptionKey!, publicUrl: closedPort });
      retired = (await keys.ensureKey(issuer.id)).keyId;
      await keys.rotate(issuer.id);
    } finally {
      await db.close();
    }
    const env = { SELLO_DATA_DIR: dataDir, PUBLIC_URL: closedPort, ADMIN_TOKEN: ADMIN, SELLO_KEK: config.secrets.keyEncryptionKey!.toString('hex') };
    const revoked = await sello(['keys', 'revoke', retired, '--reason', 'key leaked'], undefined, env);
    expect(revoked.stderr).toBe('');
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toMatch(/^Revoked: did:web:127\.0\.0\.1%3A9#key-/);
    const listed = JSON.parse((await sello(['keys', 'list', '--json'], undefined, env)).stdout) as Array<{ keyId: string; revoked: boolean }>;
    expect(listed.map((key) => [key.keyId, key.revoked])).toEqual([
      [retired, true],
      [expect.any(String), false],
    ]);
    const missingReason = await sello(['keys', 'revoke', retired], undefined, env);
    expect(missingReason.code).toBe(2);
    expect(missingReason.stderr).toContain('--reason');
    fs.rmSync(dataDir, { recursive: true, force: true });
  }, 120_000);

  it('names did_not_found, not a network error, when the issuer host is gone and no DID document is given', async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const result = await sello(['verify', files['good.json']!, '--json']);
    server = http.createServer((req, res) => t.app(req, res));
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout);
    for (const id of ['signature', 'issuer_key']) {
      expect(report.checks.find((c: { id: string }) => c.id === id)).toMatchObject({ valid: false, error: 'did_not_found' });
    }
  });

  it('uses a given DID document when the issuer host is gone, and names the unreachable status list', async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const result = await sello(['verify', files['good.json']!, '--did-document', files['did.json']!, '--json']);
    server = http.createServer((req, res) => t.app(req, res));
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report.checks.find((c: { id: string }) => c.id === 'signature')).toMatchObject({ valid: true });
    expect(report.checks.find((c: { id: string }) => c.id === 'status')).toMatchObject({ valid: false, error: 'status_list_unreachable' });
  });
});
