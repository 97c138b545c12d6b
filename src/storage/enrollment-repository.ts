import type { Queryable } from './database.ts';

/** A person's roles in one course. */
export interface Enrollment {
  contextId: string;
  userId: string;
  /** LTI role URIs as the platform sent them. */
  roles: string[];
  active: boolean;
  updatedAt: Date;
}

const columns = `context_id AS "contextId", user_id AS "userId", roles, active, updated_at AS "updatedAt"`;

export interface EnrollmentRepository {
  find(contextId: string, userId: string): Promise<Enrollment | null>;
  /** Creates or refreshes the enrollment (a launch or a roster line says the person is there). */
  upsert(input: { contextId: string; userId: string; roles: string[]; active?: boolean }): Promise<Enrollment>;
  listForContext(contextId: string): Promise<Enrollment[]>;
}

export function createEnrollmentRepository(db: Queryable): EnrollmentRepository {
  return {
    async find(contextId, userId) {
      const { rows } = await db.query<Enrollment>(`SELECT ${columns} FROM enrollments WHERE context_id = $1 AND user_id = $2`, [
        contextId,
        userId,
      ]);
      return rows[0] ?? null;
    },
    async upsert({ contextId, userId, roles, active = true }) {
      const { rows } = await db.query<Enrollment>(
        `INSERT INTO enrollments (context_id, user_id, roles, active) VALUES ($1, $2, $3, $4)
         ON CONFLICT (context_id, user_id) DO UPDATE SET roles = EXCLUDED.roles, active = EXCLUDED.active, updated_at = now()
         RETURNING ${columns}`,
        [contextId, userId, roles, active],
      );
      return rows[0]!;
    },
    async listForContext(contextId) {
      const { rows } = await db.query<Enrollment>(`SELECT ${columns} FROM enrollments WHERE context_id = $1 ORDER BY updated_at`, [
        contextId,
      ]);
      return rows;
    },
  };
}
