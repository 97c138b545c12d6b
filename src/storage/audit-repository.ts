import type { Queryable } from './database.ts';

export interface AuditEntry {
  id: number;
  at: Date;
  /** Who: `admin`, `lti:<platform>:<sub>`, `system`. */
  actor: string;
  /** What, as a dotted verb: `credential.revoked`, `key.rotated`. */
  action: string;
  /** What it was done to (a credential id, a platform id). */
  subject: string | null;
  reason: string | null;
  details: Record<string, unknown>;
}

export type NewAuditEntry = Omit<AuditEntry, 'id' | 'at' | 'subject' | 'reason' | 'details'> &
  Partial<Pick<AuditEntry, 'subject' | 'reason' | 'details'>>;

/** Append-only record of who did what and why. */
export interface AuditRepository {
  record(entry: NewAuditEntry): Promise<AuditEntry>;
  listForSubject(subject: string): Promise<AuditEntry[]>;
}

export function createAuditRepository(db: Queryable): AuditRepository {
  return {
    async record(entry) {
      const { rows } = await db.query<AuditEntry>(
        `INSERT INTO audit_log (actor, action, subject, reason, details)
         VALUES ($1, $2, $3, $4, $5::jsonb)
         RETURNING id, at, actor, action, subject, reason, details`,
        [entry.actor, entry.action, entry.subject ?? null, entry.reason ?? null, JSON.stringify(entry.details ?? {})],
      );
      return rows[0]!;
    },
    async listForSubject(subject) {
      const { rows } = await db.query<AuditEntry>(
        `SELECT id, at, actor, action, subject, reason, details FROM audit_log WHERE subject = $1 ORDER BY id`,
        [subject],
      );
      return rows;
    },
  };
}
