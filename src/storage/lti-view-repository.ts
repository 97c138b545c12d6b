import type { Queryable } from './database.ts';

/** A credential as the learner's home lists it. */
export interface CredentialSummary {
  id: string;
  achievementId: string | null;
  /** `credentialSubject.achievement.name` of the signed document, else the achievement's name. */
  name: string;
  validFrom: Date;
  /** Title of the course the achievement belongs to, null for credentials from elsewhere (VC API). */
  courseTitle: string | null;
  validUntil: Date | null;
  /** Current status bits (false when the credential has no status entry). */
  revoked: boolean;
  suspended: boolean;
  /** When and why the current revocation or suspension was recorded, if any. */
  statusAt: Date | null;
  statusReason: string | null;
}

/** Read-only queries behind the LMS app pages (instructor and learner homes). */
export interface LtiViewRepository {
  /** Credentials issued per achievement, for achievements of the course. */
  countAwards(achievementIds: string[]): Promise<Map<string, number>>;
  listCredentialsOf(userId: string): Promise<CredentialSummary[]>;
}

export function createLtiViewRepository(db: Queryable): LtiViewRepository {
  return {
    async countAwards(achievementIds) {
      const counts = new Map<string, number>();
      if (achievementIds.length === 0) return counts;
      const { rows } = await db.query<{ achievementId: string; n: number }>(
        `SELECT achievement_id AS "achievementId", count(*)::int AS n FROM credentials
         WHERE achievement_id = ANY($1::uuid[]) GROUP BY achievement_id`,
        [achievementIds],
      );
      for (const row of rows) counts.set(row.achievementId, Number(row.n));
      return counts;
    },
    async listCredentialsOf(userId) {
      const { rows } = await db.query<CredentialSummary>(
        `SELECT c.id, c.achievement_id AS "achievementId",
           COALESCE(c.document #>> '{credentialSubject,achievement,name}', a.name, c.id) AS name,
           c.valid_from AS "validFrom", NULLIF(ctx.title, '') AS "courseTitle", c.valid_until AS "validUntil",
           COALESCE(e.revoked, false) AS revoked, COALESCE(e.suspended, false) AS suspended,
           ev.at AS "statusAt", ev.reason AS "statusReason"
         FROM credentials c
         LEFT JOIN achievements a ON a.id = c.achievement_id
         LEFT JOIN contexts ctx ON ctx.id = a.context_id
         LEFT JOIN status_list_entries e ON e.credential_id = c.id
         -- The event that set the bit the learner sees (revocation wins over suspension).
         LEFT JOIN LATERAL (
           SELECT at, reason FROM credential_status_events s
            WHERE s.credential_id = c.id AND s.value
              AND s.purpose = CASE WHEN e.revoked THEN 'revocation' ELSE 'suspension' END
            ORDER BY s.id DESC LIMIT 1
         ) ev ON e.revoked OR e.suspended
         WHERE c.recipient_user_id = $1 ORDER BY c.valid_from DESC`,
        [userId],
      );
      return rows;
    },
  };
}
