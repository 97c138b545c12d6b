import type { Queryable } from './database.ts';

/** A credential offer (OpenID4VCI 1.0 §4.1) as stored: its secrets only as hashes. */
export interface StoredOffer {
  id: string;
  credentialId: string;
  createdAt: Date;
  expiresAt: Date;
  redeemedAt: Date | null;
  /** SHA-256 of the offer id and its transaction code (OpenID4VCI 1.0 §4.1.1), null when the offer asks for none. */
  txCodeHash: string | null;
}

const offerColumns = `id, credential_id AS "credentialId", created_at AS "createdAt", expires_at AS "expiresAt", redeemed_at AS "redeemedAt", tx_code_hash AS "txCodeHash"`;

export interface Openid4vciRepository {
  createOffer(input: { id: string; tokenHash: string; codeHash: string; credentialId: string; createdAt: Date; expiresAt: Date; txCodeHash?: string | null }): Promise<StoredOffer>;
  /** The offer behind its URL token while it is unredeemed and unexpired at `now`. */
  findOpenOffer(tokenHash: string, now: Date): Promise<StoredOffer | null>;
  /**
   * Redeems the pre-authorized code in one statement, so two token requests racing with
   * one code cannot both succeed. Null when used already, expired or unknown.
   */
  redeemCode(codeHash: string, now: Date): Promise<StoredOffer | null>;
  /** The offer of an unredeemed, unexpired code, without redeeming it (to check its tx_code first). */
  findRedeemableByCode(codeHash: string, now: Date): Promise<StoredOffer | null>;
  /**
   * Counts a wrong transaction code; at `maxAttempts` the offer expires at `now`, so a short
   * numeric code cannot be guessed by trying them all. Returns the attempts so far.
   */
  recordFailedTxCode(offerId: string, maxAttempts: number, now: Date): Promise<number>;
  saveAccessToken(input: { tokenHash: string; offerId: string; expiresAt: Date }): Promise<void>;
  /** The offer an unexpired access token was issued for, or null. */
  findOfferByAccessToken(tokenHash: string, now: Date): Promise<StoredOffer | null>;
  saveNonce(input: { nonceHash: string; expiresAt: Date }): Promise<void>;
  /** Consumes a c_nonce (single use); false when unknown, used or expired. */
  consumeNonce(nonceHash: string, now: Date): Promise<boolean>;
}

/** SQL of the OpenID4VCI pre-authorized code flow (`0470_openid4vci.sql`). */
export function createOpenid4vciRepository(db: Queryable): Openid4vciRepository {
  return {
    async createOffer({ id, tokenHash, codeHash, credentialId, createdAt, expiresAt, txCodeHash = null }) {
      const { rows } = await db.query<StoredOffer>(
        `INSERT INTO openid4vci_offers (id, token_hash, code_hash, credential_id, created_at, expires_at, tx_code_hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${offerColumns}`,
        [id, tokenHash, codeHash, credentialId, createdAt, expiresAt, txCodeHash],
      );
      return rows[0]!;
    },
    async findOpenOffer(tokenHash, now) {
      const { rows } = await db.query<StoredOffer>(
        `SELECT ${offerColumns} FROM openid4vci_offers WHERE token_hash = $1 AND redeemed_at IS NULL AND expires_at > $2`,
        [tokenHash, now],
      );
      return rows[0] ?? null;
    },
    async redeemCode(codeHash, now) {
      const { rows } = await db.query<StoredOffer>(
        `UPDATE openid4vci_offers SET redeemed_at = $2
         WHERE code_hash = $1 AND redeemed_at IS NULL AND expires_at > $2 RETURNING ${offerColumns}`,
        [codeHash, now],
      );
      return rows[0] ?? null;
    },
    async findRedeemableByCode(codeHash, now) {
      const { rows } = await db.query<StoredOffer>(
        `SELECT ${offerColumns} FROM openid4vci_offers WHERE code_hash = $1 AND redeemed_at IS NULL AND expires_at > $2`,
        [codeHash, now],
      );
      return rows[0] ?? null;
    },
    async recordFailedTxCode(offerId, maxAttempts, now) {
      const { rows } = await db.query<{ attempts: number }>(
        `UPDATE openid4vci_offers
         SET failed_tx_code_attempts = failed_tx_code_attempts + 1,
             expires_at = CASE WHEN failed_tx_code_attempts + 1 >= $2 THEN LEAST(expires_at, $3) ELSE expires_at END
         WHERE id = $1 RETURNING failed_tx_code_attempts AS attempts`,
        [offerId, maxAttempts, now],
      );
      return rows[0]?.attempts ?? maxAttempts;
    },
    async saveAccessToken({ tokenHash, offerId, expiresAt }) {
      await db.query(`INSERT INTO openid4vci_access_tokens (token_hash, offer_id, expires_at) VALUES ($1, $2, $3)`, [tokenHash, offerId, expiresAt]);
    },
    async findOfferByAccessToken(tokenHash, now) {
      const { rows } = await db.query<StoredOffer>(
        `SELECT o.id, o.credential_id AS "credentialId", o.created_at AS "createdAt", o.expires_at AS "expiresAt", o.redeemed_at AS "redeemedAt", o.tx_code_hash AS "txCodeHash"
         FROM openid4vci_access_tokens t JOIN openid4vci_offers o ON o.id = t.offer_id
         WHERE t.token_hash = $1 AND t.expires_at > $2`,
        [tokenHash, now],
      );
      return rows[0] ?? null;
    },
    async saveNonce({ nonceHash, expiresAt }) {
      // Expired nonces are dropped as new ones are handed out: the table stays small.
      await db.query(`DELETE FROM openid4vci_nonces WHERE expires_at < $1`, [new Date(expiresAt.getTime() - 24 * 3600_000)]);
      await db.query(`INSERT INTO openid4vci_nonces (nonce_hash, expires_at) VALUES ($1, $2)`, [nonceHash, expiresAt]);
    },
    async consumeNonce(nonceHash, now) {
      const { rows } = await db.query(`DELETE FROM openid4vci_nonces WHERE nonce_hash = $1 RETURNING expires_at AS "expiresAt"`, [nonceHash]);
      const row = rows[0] as { expiresAt: Date } | undefined;
      return !!row && new Date(row.expiresAt) > now;
    },
  };
}
