import type { Queryable } from './database.ts';

/** A person as one platform knows them (LTI `sub`). */
export interface User {
  id: string;
  platformId: string;
  sub: string;
  name: string | null;
  givenName: string | null;
  familyName: string | null;
  email: string | null;
  picture: string | null;
  locale: string | null;
  /** EIP-55 checksummed address the learner linked, for soulbound tokens. */
  walletAddress: string | null;
  did: string | null;
  /** Whether public credential pages show this learner's name (their choice). */
  showNamePublicly: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export type UserProfile = Pick<User, 'platformId' | 'sub'> &
  Partial<Pick<User, 'name' | 'givenName' | 'familyName' | 'email' | 'picture' | 'locale'>>;

const columns = `id, platform_id AS "platformId", sub, name, given_name AS "givenName", family_name AS "familyName",
  email, picture, locale, wallet_address AS "walletAddress", did,
  show_name_publicly AS "showNamePublicly", created_at AS "createdAt", updated_at AS "updatedAt"`;

export interface UserRepository {
  findById(id: string): Promise<User | null>;
  findBySub(platformId: string, sub: string): Promise<User | null>;
  /** Creates or refreshes a user from what a launch or roster says; absent fields keep their value. */
  upsert(profile: UserProfile): Promise<User>;
  setWallet(userId: string, walletAddress: string | null): Promise<User | null>;
  setDid(userId: string, did: string | null): Promise<User | null>;
  setShowNamePublicly(userId: string, show: boolean): Promise<User | null>;
}

export function createUserRepository(db: Queryable): UserRepository {
  return {
    async setShowNamePublicly(userId, show) {
      const { rows } = await db.query<User>(
        `UPDATE users SET show_name_publicly = $2, updated_at = now() WHERE id = $1 RETURNING ${columns}`,
        [userId, show],
      );
      return rows[0] ?? null;
    },
    async findById(id) {
      const { rows } = await db.query<User>(`SELECT ${columns} FROM users WHERE id = $1`, [id]);
      return rows[0] ?? null;
    },
    async findBySub(platformId, sub) {
      const { rows } = await db.query<User>(`SELECT ${columns} FROM users WHERE platform_id = $1 AND sub = $2`, [platformId, sub]);
      return rows[0] ?? null;
    },
    async upsert(p) {
      const { rows } = await db.query<User>(
        `INSERT INTO users (platform_id, sub, name, given_name, family_name, email, picture, locale)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (platform_id, sub) DO UPDATE SET
           name = COALESCE(EXCLUDED.name, users.name),
           given_name = COALESCE(EXCLUDED.given_name, users.given_name),
           family_name = COALESCE(EXCLUDED.family_name, users.family_name),
           email = COALESCE(EXCLUDED.email, users.email),
           picture = COALESCE(EXCLUDED.picture, users.picture),
           locale = COALESCE(EXCLUDED.locale, users.locale),
           updated_at = now()
         RETURNING ${columns}`,
        [p.platformId, p.sub, p.name ?? null, p.givenName ?? null, p.familyName ?? null, p.email ?? null, p.picture ?? null, p.locale ?? null],
      );
      return rows[0]!;
    },
    async setWallet(userId, walletAddress) {
      const { rows } = await db.query<User>(
        `UPDATE users SET wallet_address = $2, updated_at = now() WHERE id = $1 RETURNING ${columns}`,
        [userId, walletAddress],
      );
      return rows[0] ?? null;
    },
    async setDid(userId, did) {
      const { rows } = await db.query<User>(`UPDATE users SET did = $2, updated_at = now() WHERE id = $1 RETURNING ${columns}`, [
        userId,
        did,
      ]);
      return rows[0] ?? null;
    },
  };
}
