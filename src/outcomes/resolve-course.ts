/**
 * A course as people name it: Sello's context id, or the LMS's own context id (Moodle's
 * course id) when only one platform has a course with it. Shared by `sello sync` and
 * `POST /admin/api/contexts/:id/sync`.
 */
import type { Queryable } from '../storage/database.ts';
import { createOutcomeRepository, findContextsByLmsId, type OutcomeContext } from '../storage/outcome-repository.ts';
import { OutcomeError } from './outcome-error.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * @throws OutcomeError `context_not_found`, `invalid_context` (an LMS id on several platforms).
 */
export async function resolveCourse(db: Queryable, id: string): Promise<OutcomeContext> {
  if (UUID.test(id)) {
    const found = await createOutcomeRepository(db).findContext(id);
    if (found) return found;
  }
  const matches = await findContextsByLmsId(db, id);
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) {
    throw new OutcomeError('invalid_context', `Several courses have the LMS id ${id}; give Sello's id: ${matches.map((m) => m.id).join(', ')}`);
  }
  throw new OutcomeError('context_not_found', `No course ${id} (Sello learns a course at its first launch)`);
}
