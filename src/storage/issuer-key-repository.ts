import type { Queryable } from './database.ts';

/** An issuer's signing key as stored: the secret stays encrypted (see src/issuance/issuer-keys.ts). */
export interface IssuerKeyRecord {
  id: string;
  issuerId: string;
  keyId: string;
  publicKeyMultibase: string;
  encryptedSecretKey: string;
  validFrom: Date;
  validUntil: Date | null;
  revokedAt: Date | null;
  revokedReason: string | null;
  createdAt: Date;
}

const columns = `id, issuer_id AS "issuerId", key_id AS "keyId", public_key_multibase AS "publicKeyMultibase",
  encrypted_secret_key AS "encryptedSecretKey", valid_from AS "validFrom", valid_until AS "validUntil",
  revoked_at AS "revokedAt", revoked_reason AS "revokedReason", created_at AS "createdAt"`;

export interface IssuerKeyRepository {
  /** The issuer's current key: not closed, not revoked. */
  findCurrent(issuerId: string): Promise<IssuerKeyRecord | null>;
  /** Every key of the issuer, oldest first. */
  list(issuerId: string): Promise<IssuerKeyRecord[]>;
  /** The key with this public key, of whichever issuer (public keys are unique). */
  findByPublicKey(publicKeyMultibase: string): Promise<IssuerKeyRecord | null>;
  /** Every key of every issuer, oldest first. */
  listAll(): Promise<IssuerKeyRecord[]>;
  insert(key: Pick<IssuerKeyRecord, 'issuerId' | 'keyId' | 'publicKeyMultibase' | 'encryptedSecretKey' | 'validFrom'>): Promise<IssuerKeyRecord>;
  /** Closes the current key at `at`; returns it, or null when there was none. */
  closeCurrent(issuerId: string, at: Date): Promise<IssuerKeyRecord | null>;
  /** Marks the key revoked at `at`; a key already revoked keeps its first date and reason. */
  revoke(id: string, reason: string, at: Date): Promise<IssuerKeyRecord | null>;
  /** Serialises key changes of one issuer within the caller's transaction. */
  lockIssuer(issuerId: string): Promise<void>;
}

/** SQL over `issuer_keys`; the encrypted secret is returned as stored, never decrypted here. */
export function createIssuerKeyRepository(db: Queryable): IssuerKeyRepository {
  return {
    async findCurrent(issuerId) {
      const { rows } = await db.query<IssuerKeyRecord>(
        `SELECT ${columns} FROM issuer_keys WHERE issuer_id = $1 AND valid_until IS NULL AND revoked_at IS NULL`,
        [issuerId],
      );
      return rows[0] ?? null;
    },
    async list(issuerId) {
      const { rows } = await db.query<IssuerKeyRecord>(
        `SELECT ${columns} FROM issuer_keys WHERE issuer_id = $1 ORDER BY valid_from, created_at`,
        [issuerId],
      );
      return rows;
    },
    async findByPublicKey(publicKeyMultibase) {
      const { rows } = await db.query<IssuerKeyRecord>(`SELECT ${columns} FROM issuer_keys WHERE public_key_multibase = $1`, [publicKeyMultibase]);
      return rows[0] ?? null;
    },
    async listAll() {
      const { rows } = await db.query<IssuerKeyRecord>(`SELECT ${columns} FROM issuer_keys ORDER BY issuer_id, valid_from, created_at`);
      return rows;
    },
    async insert(key) {
      const { rows } = await db.query<IssuerKeyRecord>(
        `INSERT INTO issuer_keys (issuer_id, key_id, public_key_multibase, encrypted_secret_key, valid_from)
         VALUES ($1, $2, $3, $4, $5) RETURNING ${columns}`,
        [key.issuerId, key.keyId, key.publicKeyMultibase, key.encryptedSecretKey, key.validFrom],
      );
      return rows[0]!;
    },
    async closeCurrent(issuerId, at) {
      const { rows } = await db.query<IssuerKeyRecord>(
        `UPDATE issuer_keys SET valid_until = $2
         WHERE issuer_id = $1 AND valid_until IS NULL AND revoked_at IS NULL RETURNING ${columns}`,
        [issuerId, at],
      );
      return rows[0] ?? null;
    },
    async revoke(id, reason, at) {
      const { rows } = await db.query<IssuerKeyRecord>(
        `UPDATE issuer_keys SET revoked_at = COALESCE(revoked_at, $3), revoked_reason = COALESCE(revoked_reason, $2)
         WHERE id = $1 RETURNING ${columns}`,
        [id, reason, at],
      );
      return rows[0] ?? null;
    },
    async lockIssuer(issuerId) {
      await db.query('SELECT id FROM issuers WHERE id = $1 FOR UPDATE', [issuerId]);
    },
  };
}
