/**
 * Evaluates every known learner of a course at once (everyone enrolled, and anyone with
 * an outcome there): what saving an achievement's criteria, or attaching an existing
 * achievement to the course, calls. Learners who already qualify are awarded through the
 * same `evaluate` jobs as a grade change, so the award stays exactly once.
 */
import type { Queryable } from '../storage/database.ts';
import { createJobRepository } from '../storage/job-repository.ts';

/** Queues the evaluations; returns how many learners were queued. */
export async function queueCourseEvaluation({ db, contextId }: { db: Queryable; contextId: string }): Promise<number> {
  return createJobRepository(db).enqueueCourseEvaluation(contextId);
}
