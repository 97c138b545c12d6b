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
import { IssuanceError } from './issuance-error.ts';
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

/** An achievement without rules yet (created by Deep Linking, criteria still to write). */
function unconfigured(criteria: unknown): boolean {
  const group = criteria as { all?: unknown; rules?: unknown } | null;
  return !group || (Array.isArray(group.all) && group.all.length === 0) || (Array.isArray(group.rules) && group.rules.length === 0);
}

/** The achievement's criteria; null when it has none yet, 'invalid' when they no longer validate. */
function criteriaOf(achievement: Achievement): Criteria | null | 'invalid' {
  if (unconfigured(achievement.criteria)) return null;
  try {
    return validateCriteria({ criteria: achievement.criteria });
  } catch {
    return 'invalid';
  }
}

/**
 * Evaluates one learner and records what follows.
 *
 * @throws IssuanceError `criteria_invalid` (after evaluating the others) when an
 *   achievement's stored criteria no longer validate: the job parks with that reason.
 * @see https://www.imsglobal.org/spec/ob/v3p0/#achievement (criteria the award stands for)
 */
export async function evaluateLearner({ db, contextId, userId, now, crashAt, lookups }: EvaluateLearnerParameters): Promise<EvaluateLearnerReport> {
  const report: EvaluateLearnerReport = { awarded: [], revoking: [] };
  const achievements = await (lookups ?? createRoundLookups(db)).achievementsOfContext(contextId);
  if (achievements.length === 0) return report;
  const outcomes = await createOutcomeRepository(db).listForLearner(contextId, userId);
  const invalid: string[] = [];
  for (const achievement of achievements) {
    const criteria = criteriaOf(achievement);
    if (criteria === 'invalid') invalid.push(achievement.id);
    if (!criteria || criteria === 'invalid') continue;
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
  // The other achievements were evaluated; this job parks until the criteria are saved
  // again (which queues the course's evaluations anew).
  if (invalid.length > 0) {
    throw new IssuanceError('criteria_invalid', 'The criteria of an achievement of this course no longer validate; save them again', {
      achievementIds: invalid,
    });
  }
  return report;
}
