import type { Queryable } from './database.ts';

/**
 * What the public credential page of one credential depends on, read in one query so that
 * a page view costs one round trip while nothing changed (`web/public/credential-page.ts`).
 */
export interface CredentialPageFingerprint {
  /** `urn:uuid:…` */
  credentialId: string;
  /** The learner it was issued to, when Sello knows them: only their own browser is offered "Add to wallet". */
  recipientUserId: string | null;
  /**
   * A digest of every stored fact the page shows or its verification reads: the status
   * bits and the last status event (revoked, suspended, lifted: by this process or any
   * other on the same database), the anchoring batch (pending, sent, anchored), the
   * issuer's keys (a revoked or rotated key changes its DID document), the issuer's
   * profile, the course's title and whether the learner shows their name. Equal digests,
   * equal pages, apart from the clock (below) and what only the chain knows.
   *
   * A page is rendered from reads made after its fingerprint's, so every fact that can
   * change the page back and forth needs a stamp that only moves on: the learner's
   * setting comes with `users.updated_at` (a name shown and hidden again during a render
   * would otherwise leave the page naming them under the fingerprint of a hidden name).
   */
  fingerprint: string;
  /** The signed credential's own `validFrom` / `validUntil` as written in it (strings, or null): the instants at which the clock alone changes the page. */
  validFrom: string | null;
  validUntil: string | null;
}

/**
 * The page fingerprints of the credentials named (those that exist), in one query: the
 * page reads those of the views that arrive together at once (`web/public/page-fingerprints.ts`).
 * `ROW(…)::text` keeps NULL and '' apart, so no two different sets of facts print alike.
 */
export async function findCredentialPageFingerprints(db: Queryable, credentialIds: readonly string[]): Promise<CredentialPageFingerprint[]> {
  if (credentialIds.length === 0) return [];
  const { rows } = await db.query<CredentialPageFingerprint>(
    `SELECT c.id AS "credentialId",
            c.recipient_user_id AS "recipientUserId",
            c.document->>'validFrom' AS "validFrom",
            c.document->>'validUntil' AS "validUntil",
            md5(ROW(
              c.hash,
              s.revoked, s.suspended, s.updated_at,
              (SELECT max(e.id) FROM credential_status_events e WHERE e.credential_id = c.id),
              b.id, b.status, b.tx_hash, b.block_number, b.block_hash,
              i.slug, i.did_method, i.name, i.url, i.image_url, i.profile_edited_at,
              (SELECT string_agg(ROW(k.key_id, k.public_key_multibase, k.valid_from, k.valid_until, k.revoked_at)::text, ';' ORDER BY k.key_id)
               FROM issuer_keys k WHERE k.issuer_id = c.issuer_id),
              x.title,
              u.show_name_publicly, u.updated_at
            )::text) AS fingerprint
     FROM credentials c
     JOIN issuers i ON i.id = c.issuer_id
     LEFT JOIN status_list_entries s ON s.credential_id = c.id
     LEFT JOIN credential_anchors a ON a.credential_hash = c.hash
     LEFT JOIN anchor_batches b ON b.id = a.batch_id
     LEFT JOIN achievements ach ON ach.id = c.achievement_id
     LEFT JOIN contexts x ON x.id = ach.context_id
     LEFT JOIN users u ON u.id = c.recipient_user_id
     WHERE c.id = ANY($1::text[])`,
    [credentialIds],
  );
  return rows;
}
