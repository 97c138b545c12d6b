import fs from 'node:fs';
import http from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { startSello } from '../../src/server.ts';
import { createSettingsRepository } from '../../src/storage/settings-repository.ts';
import { loadConfig } from '../../src/config.ts';
import { makeTempDir } from '../support/config.ts';

const dataDir = makeTempDir();
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

describe('the Sello server on the embedded database', () => {
  it('serves /health, generates secrets once, and keeps data across a restart', async () => {
    const config = loadConfig({ SELLO_DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'silent' });
    const lines: string[] = [];
    const first = await startSello({ config, announce: (line) => lines.push(line) });
    try {
      expect(lines.join('\n')).toMatch(/Generated ADMIN_TOKEN and SELLO_KEK/);
      expect(lines.join('\n')).toMatch(new RegExp(`is running at http://localhost:${first.port} \\(database: embedded`));
      // The embedded defaults of npm start turn the demo on, and the last line says where it is.
      expect(lines.at(-1)).toMatch(new RegExp(`^Try it: http://localhost:${first.port}/demo`));
      const health = await fetch(`${first.url}/health`).then((res) => res.json());
      expect(health).toMatchObject({ status: 'ok', database: { kind: 'embedded' }, chain: { kind: 'embedded' } });
      await createSettingsRepository(first.db).set('survives', 'restart');
    } finally {
      await first.close();
    }
    expect((fs.statSync(`${dataDir}/secrets.json`).mode & 0o777).toString(8)).toBe('600');

    const again: string[] = [];
    const second = await startSello({ config, announce: (line) => again.push(line) });
    try {
      expect(again.join('\n')).not.toMatch(/Generated/);
      expect(await createSettingsRepository(second.db).get('survives')).toBe('restart');
    } finally {
      await second.close();
    }
  });

  it('prints only the secret it generated, never the ADMIN_TOKEN the operator gave', async () => {
    const ownDir = makeTempDir();
    const operatorToken = 'operator-chosen-admin-token-0123456789';
    const config = loadConfig({ SELLO_DATA_DIR: ownDir, PORT: '0', LOG_LEVEL: 'silent', ADMIN_TOKEN: operatorToken });
    const lines: string[] = [];
    const sello = await startSello({ config, announce: (line) => lines.push(line) });
    try {
      const printed = lines.join('\n');
      expect(printed).toMatch(/Generated SELLO_KEK \(kept in/);
      expect(printed).not.toContain(operatorToken);
      expect(printed).not.toContain('ADMIN_TOKEN');
    } finally {
      await sello.close();
      fs.rmSync(ownDir, { recursive: true, force: true });
    }
  });

  it('answers a request already in flight when shutdown starts, then stops taking new ones', async () => {
    const config = loadConfig({ SELLO_DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'silent' });
    const sello = await startSello({ config, announce: () => {} });
    const body = JSON.stringify({ verifiableCredential: { type: ['VerifiableCredential'], not: 'signed' } });
    const answered = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(
        `${sello.url}/credentials/verify`,
        { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
        (res) => {
          let text = '';
          res.on('data', (chunk) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        },
      );
      req.on('error', reject);
      // Half the body now, the rest only after shutdown has begun. The clock starts once the
      // connection is up: on a loaded machine connecting alone can take longer than 200 ms.
      req.write(body.slice(0, 10));
      req.on('socket', (socket) =>
        socket.once('connect', () =>
          setTimeout(() => {
            closing = sello.close();
            setTimeout(() => req.end(body.slice(10)), 200);
          }, 200),
        ),
      );
    });
    let closing: Promise<void> | null = null;
    const result = await answered;
    // A full verification report, so the request ran to the end after close() began.
    expect(result.status).toBe(422);
    expect(JSON.parse(result.body)).toMatchObject({ verified: false, checks: expect.any(Array) });
    await closing;
    await expect(fetch(`${sello.url}/health`)).rejects.toThrow();
  });
});
