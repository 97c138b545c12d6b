/**
 * The two secrets Sello needs: the admin bearer token and the key-encryption key that
 * protects private keys at rest. Production gives both (config refuses to start
 * without them); elsewhere they are generated on first start, kept in
 * `$SELLO_DATA_DIR/secrets.json` with mode 0600, and reported once so they can be printed.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { StorageError } from '../errors.ts';
import type { Config } from '../config.ts';

export interface Secrets {
  adminToken: string;
  keyEncryptionKey: Buffer;
}

export interface ResolvedSecrets extends Secrets {
  /** Which secrets were generated just now (to be shown once), empty when none. */
  generated: Array<'ADMIN_TOKEN' | 'SELLO_KEK'>;
  file: string | null;
}

/**
 * @throws StorageError `secrets_unreadable` when the secrets file exists but is damaged.
 */
export function resolveSecrets(config: Pick<Config, 'dataDir' | 'secrets'>): ResolvedSecrets {
  const given = config.secrets;
  if (given.adminToken && given.keyEncryptionKey) {
    return { adminToken: given.adminToken, keyEncryptionKey: given.keyEncryptionKey, generated: [], file: null };
  }
  const file = path.join(config.dataDir, 'secrets.json');
  let stored: { adminToken?: string; keyEncryptionKey?: string } = {};
  if (fs.existsSync(file)) {
    try {
      stored = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (cause) {
      throw new StorageError('secrets_unreadable', `The secrets file ${file} is not valid JSON`, { file }, { cause });
    }
  }
  const generated: ResolvedSecrets['generated'] = [];
  if (!given.adminToken && !stored.adminToken) {
    stored.adminToken = crypto.randomBytes(24).toString('base64url');
    generated.push('ADMIN_TOKEN');
  }
  if (!given.keyEncryptionKey && !stored.keyEncryptionKey) {
    stored.keyEncryptionKey = crypto.randomBytes(32).toString('base64');
    generated.push('SELLO_KEK');
  }
  if (generated.length > 0) {
    fs.mkdirSync(config.dataDir, { recursive: true });
    fs.writeFileSync(file, JSON.stringify(stored, null, 2), { mode: 0o600 });
    fs.chmodSync(file, 0o600);
  }
  return {
    adminToken: given.adminToken ?? stored.adminToken!,
    keyEncryptionKey: given.keyEncryptionKey ?? Buffer.from(stored.keyEncryptionKey!, 'base64'),
    generated,
    file,
  };
}
