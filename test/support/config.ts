import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/config.ts';
import type { Secrets } from '../../src/storage/secrets.ts';

/** The key-encryption key of every test config (`SELLO_KEK`). */
export const testKek: Buffer = crypto.createHash('sha256').update('sello test kek').digest();

/** A temporary data dir, removed by the caller's `afterAll` via `fs.rmSync`. */
export function makeTempDir(prefix = 'sello-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Test config: silent logs, a throwaway data dir, fixed secrets; `env` overrides. */
export function testConfig(env: Record<string, string> = {}): Readonly<Config> {
  return loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    SELLO_DATA_DIR: env.SELLO_DATA_DIR ?? makeTempDir(),
    PUBLIC_URL: 'http://localhost:3000',
    ADMIN_TOKEN: 'test-admin-token-0123456789abcdef',
    SELLO_KEK: testKek.toString('hex'),
    ...env,
  });
}

export function testSecrets(config: Readonly<Config>): Secrets {
  return { adminToken: config.secrets.adminToken!, keyEncryptionKey: config.secrets.keyEncryptionKey! };
}
