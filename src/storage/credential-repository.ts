import type { Queryable } from './database.ts';

/** A signed credential as Sello keeps it (the shared `credentials` table). */
export interface StoredCredential {
  /** `urn:uuid:…`, the credential's own `id`. */
  id: string;
  /** '0x' + SHA-256 of its JCS form: the anchor leaf. */
  hash: string;
  document: Record<string, unknown>;
  issuerId: string;
  achievementId: string | null;
  recipientUserId: string | null;
  validFrom: Date;
  validUntil: Date | null;
  createdAt: Date;
}

/** Its current status, from the status list entry. */
export interface CredentialStatusState {
  credentialId: string;
  groupId: string;
  index: number;
  revoked: boolean;
  suspended: boolean;
  updatedAt: Date;
}

const columns = `id, hash, document, issuer_id AS "issuerId", achievement_id AS "achievementId",
  recipient_user_id AS "recipientUserId", valid_from AS "validFrom", valid_until AS "validUntil", created_at AS "createdAt"`;

export interface CredentialRepository {
  findById(id: string): Promise<StoredCredential | null>;
  findByHash(hash: string): Promise<StoredCredential | null>;
  listForRecipient(userId: string): Promise<StoredCredential[]>;
  /**
   * Inserts; returns null when a credential with this id, or this very document (its
   * hash), already exists (nothing changed).
   */
  insert(credential: Omit<StoredCredential, 'createdAt'>): Promise<StoredCredential | null>;
  findStatus(credentialId: string): Promise<CredentialStatusState | null>;
}

/** SQL over the shared `credentials` table and the credentials' status entries. */
export function createCredentialRepository(db: Queryable): CredentialRepository {
  return {
    async findById(id) {
      const { rows } = await db.query<StoredCredential>(`SELECT ${columns} FROM credentials WHERE id = $1`, [id]);
      return rows[0] ?? null;
    },
    async findByHash(hash) {
      const { rows } = await db.query<StoredCredential>(`SELECT ${columns} FROM credentials WHERE hash = $1`, [hash]);
      return rows[0] ?? null;
    },
    async listForRecipient(userId) {
      const { rows } = await db.query<StoredCredential>(
        `SELECT ${columns} FROM credentials WHERE recipient_user_id = $1 ORDER BY created_at DESC`,
        [userId],
      );
      return rows;
    },
    async insert(c) {
      const { rows } = await db.query<StoredCredential>(
        `INSERT INTO credentials (id, hash, document, issuer_id, achievement_id, recipient_user_id, valid_from, valid_until)
         VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7, $8)
         ON CONFLICT DO NOTHING RETURNING ${columns}`,
        [c.id, c.hash, JSON.stringify(c.document), c.issuerId, c.achievementId, c.recipientUserId, c.validFrom, c.validUntil],
      );
      return rows[0] ?? null;
    },
    async findStatus(credentialId) {
      const { rows } = await db.query<CredentialStatusState>(
        `SELECT credential_id AS "credentialId", group_id AS "groupId", idx AS "index", revoked, suspended, updated_at AS "updatedAt"
         FROM status_list_entries WHERE credential_id = $1`,
        [credentialId],
      );
      return rows[0] ?? null;
    },
  };
}
