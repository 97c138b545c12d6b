/**
 * The earners of one achievement in one course, for the instructor's earners page: every
 * person enrolled in the course (or holding an award there), their award, how far the
 * pipeline took it (credential, anchor batch, gradebook) and the job that waits for them
 * ("parked"), if any.
 */
import type { Queryable } from './database.ts';
import type { AwardState } from './award-repository.ts';

export interface EarnerRow {
  userId: string;
  sub: string;
  name: string | null;
  email: string | null;
  /** LTI roles of the enrollment; empty when not (or no longer) enrolled. */
  roles: string[];
  enrolled: boolean;
  awardId: string | null;
  state: AwardState | null;
  origin: 'criteria' | 'manual' | null;
  credentialId: string | null;
  awardedAt: Date | null;
  postedAt: Date | null;
  reason: string | null;
  revokedAt: Date | null;
  revokeReason: string | null;
  /** Status of the anchor batch holding the credential's hash; null when not batched yet. */
  anchorStatus: 'pending' | 'sent' | 'anchored' | null;
  /** A failed (parked) job for this learner and achievement: its id (for retry) and why. */
  parkedJobId: number | null;
  parkedReason: string | null;
}

export interface EarnersRepository {
  list(achievementId: string, contextId: string): Promise<EarnerRow[]>;
  /** The parked job `jobId`, when it belongs to this achievement (its awards) or to the course's evaluations. */
  isParkedJobOf(jobId: number, achievementId: string, contextId: string): Promise<boolean>;
}

export function createEarnersRepository(db: Queryable): EarnersRepository {
  return {
    async list(achievementId, contextId) {
      const { rows } = await db.query<EarnerRow & { parkedJobId: string | number | null }>(
        `WITH people AS (
           SELECT user_id FROM enrollments WHERE context_id = $2 AND active
           UNION SELECT user_id FROM awards WHERE achievement_id = $1 AND context_id = $2)
         SELECT u.id AS "userId", u.sub, u.name, u.email, COALESCE(e.roles, '{}') AS roles, COALESCE(e.active, false) AS enrolled,
                a.id AS "awardId", a.state, a.origin, a.credential_id AS "credentialId", a.created_at AS "awardedAt",
                a.posted_at AS "postedAt", a.reason, a.revoked_at AS "revokedAt", a.revoke_reason AS "revokeReason",
                b.status AS "anchorStatus", j.id AS "parkedJobId", j.reason AS "parkedReason"
           FROM people p
           JOIN users u ON u.id = p.user_id
           LEFT JOIN enrollments e ON e.context_id = $2 AND e.user_id = u.id
           LEFT JOIN awards a ON a.achievement_id = $1 AND a.context_id = $2 AND a.user_id = u.id
           LEFT JOIN credentials c ON c.id = a.credential_id
           LEFT JOIN credential_anchors ca ON ca.credential_hash = c.hash
           LEFT JOIN anchor_batches b ON b.id = ca.batch_id
           LEFT JOIN LATERAL (
             SELECT ij.id, COALESCE(ij.parked_reason, 'attempts_exhausted') AS reason FROM issuance_jobs ij
              WHERE ij.state = 'failed'
                AND ((ij.kind = 'advance_award' AND ij.key = a.id::text)
                  OR (ij.kind = 'evaluate' AND ij.payload->>'contextId' = $2::text AND ij.payload->>'userId' = u.id::text))
              ORDER BY ij.updated_at DESC, ij.id DESC LIMIT 1) j ON true
          ORDER BY u.name NULLS LAST, u.sub`,
        [achievementId, contextId],
      );
      return rows.map((row) => ({ ...row, parkedJobId: row.parkedJobId === null ? null : Number(row.parkedJobId) }));
    },
    async isParkedJobOf(jobId, achievementId, contextId) {
      const { rows } = await db.query(
        `SELECT 1 FROM issuance_jobs j
          WHERE j.id = $1 AND j.state = 'failed'
            AND ((j.kind = 'advance_award' AND EXISTS (SELECT 1 FROM awards a WHERE a.id::text = j.key AND a.achievement_id = $2 AND a.context_id = $3))
              OR (j.kind = 'evaluate' AND j.payload->>'contextId' = $3::text))`,
        [jobId, achievementId, contextId],
      );
      return rows.length > 0;
    },
  };
}
