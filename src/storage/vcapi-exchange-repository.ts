import type { Queryable } from './database.ts';

/** The states of a VC API exchange (https://w3c-ccg.github.io/vc-api/#exchange-state). */
export type ExchangeState = 'pending' | 'active' | 'complete' | 'invalid';

/** A VC-API exchange for one credential, as stored: its URL token only as a hash. */
export interface StoredExchange {
  id: string;
  credentialId: string;
  challenge: string;
  state: ExchangeState;
  createdAt: Date;
  expiresAt: Date;
  completedAt: Date | null;
  holderDid: string | null;
}

const columns = `id, credential_id AS "credentialId", challenge, state, created_at AS "createdAt", expires_at AS "expiresAt",
  completed_at AS "completedAt", holder_did AS "holderDid"`;

export interface VcapiExchangeRepository {
  create(input: { id: string; tokenHash: string; credentialId: string; challenge: string; createdAt: Date; expiresAt: Date }): Promise<StoredExchange>;
  /** The exchange behind a URL token, whatever its state, or null. */
  findByToken(tokenHash: string): Promise<StoredExchange | null>;
  /** `pending` → `active` when the wallet first asks (idempotent for an active one). */
  markActive(id: string): Promise<void>;
  /**
   * Completes the exchange in one statement, so two wallets racing with one exchange cannot
   * both receive a credential: null when it is complete, invalid or expired at `now`.
   */
  complete(id: string, holderDid: string, now: Date): Promise<StoredExchange | null>;
  /** Marks an exchange `invalid` (its credential could not be delivered). */
  invalidate(id: string): Promise<void>;
}

/** SQL of VC-API exchanges (`0520_vcapi_exchanges.sql`). */
export function createVcapiExchangeRepository(db: Queryable): VcapiExchangeRepository {
  return {
    async create({ id, tokenHash, credentialId, challenge, createdAt, expiresAt }) {
      const { rows } = await db.query<StoredExchange>(
        `INSERT INTO vcapi_exchanges (id, token_hash, credential_id, challenge, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${columns}`,
        [id, tokenHash, credentialId, challenge, createdAt, expiresAt],
      );
      return rows[0]!;
    },
    async findByToken(tokenHash) {
      const { rows } = await db.query<StoredExchange>(`SELECT ${columns} FROM vcapi_exchanges WHERE token_hash = $1`, [tokenHash]);
      return rows[0] ?? null;
    },
    async markActive(id) {
      await db.query(`UPDATE vcapi_exchanges SET state = 'active' WHERE id = $1 AND state = 'pending'`, [id]);
    },
    async complete(id, holderDid, now) {
      const { rows } = await db.query<StoredExchange>(
        `UPDATE vcapi_exchanges SET state = 'complete', completed_at = $3, holder_did = $2
         WHERE id = $1 AND state IN ('pending', 'active') AND expires_at > $3 RETURNING ${columns}`,
        [id, holderDid, now],
      );
      return rows[0] ?? null;
    },
    async invalidate(id) {
      await db.query(`UPDATE vcapi_exchanges SET state = 'invalid' WHERE id = $1`, [id]);
    },
  };
}
