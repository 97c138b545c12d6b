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
  /** Newest first, `limit` entries older than `beforeId`, of one action when given. */
  list(params: { action?: string | null; beforeId?: number | null; limit: number }): Promise<AuditEntry[]>;
  /** The actions recorded so far, for the filter of the admin's audit page. */
  listActions(): Promise<string[]>;
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
    async list({ action = null, beforeId = null, limit }) {
      const { rows } = await db.query<AuditEntry>(
        `SELECT id, at, actor, action, subject, reason, details FROM audit_log
         WHERE ($1::text IS NULL OR action = $1) AND ($2::bigint IS NULL OR id < $2)
         ORDER BY id DESC LIMIT $3`,
        [action, beforeId, limit],
      );
      return rows.map((row) => ({ ...row, id: Number(row.id) }));
    },
    async listActions() {
      const { rows } = await db.query<{ action: string }>(`SELECT DISTINCT action FROM audit_log ORDER BY action`);
      return rows.map((row) => row.action);
    },
  };
}
