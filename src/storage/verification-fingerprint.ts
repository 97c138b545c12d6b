import type { Queryable } from './database.ts';

/**
 * What this deployment's own verification sources look like now, as short strings that
 * change whenever what they answer can change (see `src/credentials/remote-answer-cache.ts`):
 *
 * - `dids`: the DID documents Sello serves, built from `issuers` (slug, DID method) and
 *   `issuer_keys`. Keys are never deleted, closed or revoked twice (the repository keeps
 *   the first revocation), so the counts of keys, of closed keys and of revoked keys
 *   together move at every insert, rotation and revocation.
 * - `statusLists`: every status change bumps its group's `version`, which never goes
 *   down; a list is also re-signed when the key that signs it changes (the `dids` part).
 */
export interface VerificationFingerprint {
  dids: string;
  statusLists: string;
}

/** One query for both parts (the main thread of a busy verifier asks for it often). */
export async function readVerificationFingerprint(db: Queryable): Promise<VerificationFingerprint> {
  const { rows } = await db.query<{ keys: string; issuers: string; lists: string }>(
    `SELECT
       (SELECT count(*) || '.' || count(valid_until) || '.' || count(revoked_at) FROM issuer_keys) AS keys,
       (SELECT count(*) || '.' || coalesce(md5(string_agg(id || ':' || slug || ':' || did_method, ',' ORDER BY id)), '') FROM issuers) AS issuers,
       (SELECT count(*) || '.' || coalesce(sum(version), 0) FROM status_list_groups) AS lists`,
  );
  const row = rows[0]!;
  const dids = `${row.keys}/${row.issuers}`;
  return { dids, statusLists: `${row.lists}/${dids}` };
}
