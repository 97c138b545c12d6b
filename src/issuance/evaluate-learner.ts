/**
 * The `evaluate` step: one learner in one course against every achievement of the course.
 * Met and not yet awarded → a new award (the unique constraint makes racing evaluations
 * create one) and its `advance_award` job, in one transaction. Fallen below with a
 * `revoke` policy → the award moves to `revoking`. Unmet rules only wait.
 */
import { evaluate, validateCriteria, type Criteria } from '../criteria/index.ts';
import type { Database } from '../storage/database.ts';
import type { Achievement } from '../storage/achievement-repository.ts';
import { createAwardRepository } from '../storage/award-repository.ts';
import { createJobRepository } from '../storage/job-repository.ts';
import { createOutcomeRepository } from '../storage/outcome-repository.ts';
import type { CrashHook } from './ports.ts';
import { createRoundLookups, type RoundLookups } from './round-lookups.ts';

export interface EvaluateLearnerParameters {
  db: Database;
  contextId: string;
  userId: string;
  now: Date;
  crashAt?: CrashHook;
  /** The course's achievements as read in this worker round. */
  lookups?: RoundLookups;
}

export interface EvaluateLearnerReport {
  awarded: string[];
  revoking: string[];
}

const SYSTEM_ACTOR = 'system:criteria';

/** Criteria that no longer validate (edited by hand in the database) award nothing. */
function criteriaOf(achievement: Achievement): Criteria | null {
  try {
    return validateCriteria({ criteria: achievement.criteria });
  } catch {
    return null;
  }
}

/**
 * Evaluates one learner and records what follows.
 *
 * @see https://www.imsglobal.org/spec/ob/v3p0/#achievement (criteria the award stands for)
 */
export async function evaluateLearner({ db, contextId, userId, now, crashAt, lookups }: EvaluateLearnerParameters): Promise<EvaluateLearnerReport> {
  const report: EvaluateLearnerReport = { awarded: [], revoking: [] };
  const achievements = await (lookups ?? createRoundLookups(db)).achievementsOfContext(contextId);
  if (achievements.length === 0) return report;
  const outcomes = await createOutcomeRepository(db).listForLearner(contextId, userId);
  for (const achievement of achievements) {
    const criteria = criteriaOf(achievement);
    if (!criteria) continue;
    // An instructor grading the achievement's own "Badge: NAME" line item awards it too.
    const gradedBadge = outcomes.some((outcome) => outcome.activity === `badge:${achievement.id}` && (outcome.score ?? 0) > 0);
    const met = gradedBadge || evaluate({ criteria, outcomes, now }).met;
    if (met) {
      // One statement creates the award with its job, or finds one already there.
      const { award, created } = await createAwardRepository(db).createIfAbsent(
        { achievementId: achievement.id, userId, contextId, origin: 'criteria', awardedBy: SYSTEM_ACTOR, reason: null },
        { queueAdvance: true },
      );
      if (created) report.awarded.push(award.id);
      continue;
    }
    if (achievement.belowCriteriaPolicy !== 'revoke') continue;
    await db.transaction(async (tx) => {
      const awards = createAwardRepository(tx);
      const existing = await awards.find(achievement.id, userId);
      if (
        existing &&
        existing.origin === 'criteria' &&
        (existing.state === 'awarded' || existing.state === 'signed' || existing.state === 'posted')
      ) {
        const moved = await awards.transition({
          id: existing.id,
          from: ['awarded', 'signed', 'posted'],
          to: 'revoking',
          actor: SYSTEM_ACTOR,
          details: { policy: 'revoke' },
          set: { revokedBy: SYSTEM_ACTOR, revokeReason: 'below_criteria' },
        });
        if (moved) {
          await createJobRepository(tx).enqueue([{ kind: 'advance_award', key: existing.id, payload: { awardId: existing.id } }]);
          report.revoking.push(existing.id);
        }
      }
    });
  }
  if (report.awarded.length > 0) crashAt?.('after_award');
  return report;
}
