/**
 * Manual award and revoke by an instructor or admin. They go through the same pipeline
 * (an award row, its recorded transitions, the `advance_award` job) as automatic ones,
 * and each is audit-logged with who, when and why.
 */
import type { Database } from '../storage/database.ts';
import { createAchievementRepository } from '../storage/achievement-repository.ts';
import { createAuditRepository } from '../storage/audit-repository.ts';
import { createAwardRepository, type Award } from '../storage/award-repository.ts';
import { createJobRepository } from '../storage/job-repository.ts';
import { createEnrollmentRepository } from '../storage/enrollment-repository.ts';
import { isInstructorRole } from '../lti/claims.ts';
import { createUserRepository } from '../storage/user-repository.ts';
import { IssuanceError } from './issuance-error.ts';

export interface AwardManuallyParameters {
  db: Database;
  achievementId: string;
  userId: string;
  /** The course; defaults to the achievement's own course (library achievements need it). */
  contextId?: string;
  /** Who: `admin`, `lti:<platform>:<sub>`. */
  actor: string;
  reason: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function requireReason(reason: string): string {
  const trimmed = reason?.trim() ?? '';
  if (trimmed.length < 3 || trimmed.length > 1000) {
    throw new IssuanceError('invalid_award_request', 'Give a reason (3 to 1000 characters): it is kept in the audit log');
  }
  return trimmed;
}

/**
 * Awards an achievement to a learner by hand, or grants a revoked one again (with a new
 * credential id).
 *
 * @throws IssuanceError `invalid_award_request` (no reason, no course), `achievement_not_found`,
 *   `learner_not_found` (no such user, or an instructor of the course), `already_awarded` (409).
 */
export async function awardManually({ db, achievementId, userId, contextId, actor, reason }: AwardManuallyParameters): Promise<Award> {
  const why = requireReason(reason);
  // Ids come from forms and JSON: one that is not a uuid names nothing (and PostgreSQL would refuse it with an error).
  const achievement = UUID.test(achievementId) ? await createAchievementRepository(db).findById(achievementId) : null;
  if (!achievement) throw new IssuanceError('achievement_not_found', `No achievement ${achievementId}`);
  if (!UUID.test(userId) || !(await createUserRepository(db).findById(userId))) throw new IssuanceError('learner_not_found', `No learner ${userId}`);
  const course = contextId ?? achievement.contextId;
  if (!course) throw new IssuanceError('invalid_award_request', 'Say in which course the award is made');
  // Badges by hand go to learners: an instructor of the course (who can award) never to themselves or a colleague.
  const enrollment = await createEnrollmentRepository(db).find(course, userId);
  if (enrollment && isInstructorRole(enrollment.roles)) {
    throw new IssuanceError('learner_not_found', `${userId} teaches this course; badges by hand go to its learners`, { userId, reason: 'instructor' });
  }
  return db.transaction(async (tx) => {
    const awards = createAwardRepository(tx);
    let { award, created } = await awards.createIfAbsent({ achievementId, userId, contextId: course, origin: 'manual', awardedBy: actor, reason: why });
    if (!created) {
      if (award.state !== 'revoked') throw new IssuanceError('already_awarded', 'This learner already has this badge', { awardId: award.id });
      award = (await awards.transition({
        id: award.id,
        from: 'revoked',
        to: 'awarded',
        actor,
        details: { reason: why, regrant: true },
        // A new generation starts clean: no credential, not posted, not revoked.
        set: {
          generation: award.generation + 1,
          origin: 'manual',
          awardedBy: actor,
          reason: why,
          credentialId: null,
          postedAt: null,
          revokedAt: null,
          revokedBy: null,
          revokeReason: null,
        },
      }))!;
    }
    await createJobRepository(tx).enqueue([{ kind: 'advance_award', key: award.id, payload: { awardId: award.id } }]);
    await createAuditRepository(tx).record({ actor, action: 'award.granted', subject: award.id, reason: why, details: { achievementId, userId } });
    return (await awards.findById(award.id))!;
  });
}

/**
 * Revokes an award by hand: its credential's revocation bit is set and the gradebook
 * score goes to 0 by the pipeline.
 *
 * @throws IssuanceError `invalid_award_request` (no reason), `award_not_found`,
 *   `award_state_conflict` (409: already revoked or being revoked).
 */
export async function revokeManually({ db, awardId, actor, reason }: { db: Database; awardId: string; actor: string; reason: string }): Promise<Award> {
  const why = requireReason(reason);
  return db.transaction(async (tx) => {
    const awards = createAwardRepository(tx);
    const award = await awards.lockById(awardId);
    if (!award) throw new IssuanceError('award_not_found', `No award ${awardId}`);
    const moved = await awards.transition({
      id: awardId,
      from: ['awarded', 'signed', 'posted'],
      to: 'revoking',
      actor,
      details: { reason: why },
      set: { revokedBy: actor, revokeReason: why },
    });
    if (!moved) throw new IssuanceError('award_state_conflict', `The award is already ${award.state}`, { state: award.state });
    await createJobRepository(tx).enqueue([{ kind: 'advance_award', key: awardId, payload: { awardId } }]);
    await createAuditRepository(tx).record({ actor, action: 'award.revoked', subject: awardId, reason: why, details: { achievementId: award.achievementId } });
    return moved;
  });
}
