/**
 * Fixtures for the chain integration tests: issuers, users and credentials written
 * straight into the core tables (the chain capability only reads them), and a running
 * chain service on the embedded chain.
 */
import crypto from 'node:crypto';
import { createLogger } from '../../src/logger.ts';
import type { Config } from '../../src/config.ts';
import type { Database } from '../../src/storage/database.ts';
import { openChain, type ChainService } from '../../src/chain/open-chain.ts';
import { testConfig } from '../support/config.ts';

export const silentLog = createLogger({ level: 'silent' });

export function chainTestConfig(env: Record<string, string> = {}): Readonly<Config> {
  return testConfig({ ANCHOR_BATCH_SIZE: '100', ANCHOR_BATCH_MAX_WAIT_S: '60', ...env });
}

export async function openTestChain(params: {
  db: Database;
  config?: Readonly<Config>;
  fundedAccounts?: string[];
}): Promise<ChainService> {
  return openChain({ config: params.config ?? chainTestConfig(), db: params.db, log: silentLog, fundedAccounts: params.fundedAccounts });
}

export async function createIssuer(db: Database): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO issuers (slug, name, url) VALUES ($1, 'Test University', 'https://uni.example') RETURNING id`,
    [`uni-${crypto.randomBytes(4).toString('hex')}`],
  );
  return rows[0]!.id;
}

export async function createUser(db: Database, params: { issuerId: string; walletAddress?: string | null }): Promise<string> {
  const { rows: platforms } = await db.query<{ id: string }>(
    `INSERT INTO platforms (issuer_id, iss, client_id) VALUES ($1, $2, 'client') RETURNING id`,
    [params.issuerId, `https://lms-${crypto.randomBytes(4).toString('hex')}.example`],
  );
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO users (platform_id, sub, name, wallet_address) VALUES ($1, $2, 'Ada Learner', $3) RETURNING id`,
    [platforms[0]!.id, crypto.randomUUID(), params.walletAddress ?? null],
  );
  return rows[0]!.id;
}

export interface TestCredential {
  id: string;
  hash: string;
  validFrom: string;
}

/** Credentials as the credentials capability stores them (only what the chain reads matters). */
export async function createCredentials(
  db: Database,
  params: { issuerId: string; count: number; recipientUserId?: string | null; createdAt?: Date },
): Promise<TestCredential[]> {
  const created: TestCredential[] = [];
  const validFrom = new Date().toISOString();
  for (let i = 0; i < params.count; i += 1) {
    const id = `urn:uuid:${crypto.randomUUID()}`;
    const document = { id, type: ['VerifiableCredential', 'OpenBadgeCredential'], validFrom };
    const hash = `0x${crypto.createHash('sha256').update(JSON.stringify(document)).digest('hex')}`;
    await db.query(
      `INSERT INTO credentials (id, issuer_id, recipient_user_id, hash, document, valid_from, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [id, params.issuerId, params.recipientUserId ?? null, hash, JSON.stringify(document), validFrom, params.createdAt ?? new Date()],
    );
    created.push({ id, hash, validFrom });
  }
  return created;
}
