import type { Queryable } from './database.ts';

/** A one-time Dynamic Registration link, as stored (the token itself is never kept). */
export interface RegistrationInvite {
  id: string;
  createdBy: string;
  createdAt: Date;
  expiresAt: Date;
  usedAt: Date | null;
  platformId: string | null;
}

const columns = `id, created_by AS "createdBy", created_at AS "createdAt", expires_at AS "expiresAt",
  used_at AS "usedAt", platform_id AS "platformId"`;

export interface RegistrationInviteRepository {
  create(input: { tokenHash: string; createdBy: string; expiresAt: Date }): Promise<RegistrationInvite>;
  /** The invite behind `tokenHash` when it is unused and unexpired; null otherwise. */
  findUsable(tokenHash: string): Promise<RegistrationInvite | null>;
  /**
   * Marks the invite used, in one statement, so two registrations racing with one link
   * cannot both be approved by it. Null when it was used already, expired or unknown.
   */
  use(tokenHash: string, platformId: string | null): Promise<RegistrationInvite | null>;
}

export function createRegistrationInviteRepository(db: Queryable): RegistrationInviteRepository {
  return {
    async create({ tokenHash, createdBy, expiresAt }) {
      const { rows } = await db.query<RegistrationInvite>(
        `INSERT INTO lti_registration_invites (token_hash, created_by, expires_at) VALUES ($1, $2, $3) RETURNING ${columns}`,
        [tokenHash, createdBy, expiresAt],
      );
      return rows[0]!;
    },
    async findUsable(tokenHash) {
      const { rows } = await db.query<RegistrationInvite>(
        `SELECT ${columns} FROM lti_registration_invites WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()`,
        [tokenHash],
      );
      return rows[0] ?? null;
    },
    async use(tokenHash, platformId) {
      const { rows } = await db.query<RegistrationInvite>(
        `UPDATE lti_registration_invites SET used_at = now(), platform_id = $2
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now() RETURNING ${columns}`,
        [tokenHash, platformId],
      );
      return rows[0] ?? null;
    },
  };
}
