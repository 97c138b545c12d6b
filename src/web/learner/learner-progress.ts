/**
 * The learner's progress towards each badge of the course, for the learner home's
 * progress partial (`views/partials/learner-progress.hbs`): met or not, one line per rule
 * ("Quiz 3: 72% of the 80% needed"), and the credential link once earned.
 */
import type { Database } from '../../storage/database.ts';
import { createAchievementRepository } from '../../storage/achievement-repository.ts';
import { createAwardRepository } from '../../storage/award-repository.ts';
import { createOutcomeRepository } from '../../storage/outcome-repository.ts';
import { createCredentialRepository } from '../../storage/credential-repository.ts';
import { describeProgress, evaluate, leafProgress, validateCriteria } from '../../criteria/index.ts';
import type { Launch } from '../../lti/require-launch.ts';

export interface LearnerProgressView {
  achievements: Array<{
    name: string;
    earned: boolean;
    revoked: boolean;
    suspended: boolean;
    credentialUrl: string | null;
    /** Earned, credential not yet signed (e.g. waiting for the learner's email). */
    pending: boolean;
    lines: Array<{ text: string; met: boolean }>;
    noCriteria: boolean;
  }>;
}

/** Builds the progress partial's data for the learner behind a launch. */
export function createLearnerProgress({ db, now = () => new Date() }: { db: Database; now?: () => Date }) {
  return async (launch: Pick<Launch, 'contextId' | 'userId' | 'locale'>): Promise<LearnerProgressView & Record<string, unknown>> => {
    const outcomesRepository = createOutcomeRepository(db);
    const [achievements, outcomes, awards, activities] = await Promise.all([
      createAchievementRepository(db).listForContext(launch.contextId),
      outcomesRepository.listForLearner(launch.contextId, launch.userId),
      createAwardRepository(db).listForLearner(launch.contextId, launch.userId),
      outcomesRepository.listActivities(launch.contextId),
    ]);
    const activityNames = new Map(activities.map((activity) => [activity.activity, activity.name]));
    // The credential's status bits, not only the award's state: an administrator can revoke
    // or suspend a credential directly (API, CLI), leaving its award untouched.
    const credentials = createCredentialRepository(db);
    const statuses = new Map(
      await Promise.all(
        awards.filter((award) => award.credentialId).map(async (award) => [award.credentialId!, await credentials.findStatus(award.credentialId!)] as const),
      ),
    );
    return {
      achievements: achievements.map((achievement) => {
        const award = awards.find((candidate) => candidate.achievementId === achievement.id);
        let lines: Array<{ text: string; met: boolean }> = [];
        try {
          const criteria = validateCriteria({ criteria: achievement.criteria });
          const result = evaluate({ criteria, outcomes, now: now(), activityNames });
          lines = leafProgress(result.progress).map((rule) => ({ text: describeProgress(rule, launch.locale), met: rule.met }));
        } catch {
          lines = [];
        }
        const status = award?.credentialId ? statuses.get(award.credentialId) : null;
        const revoked = award?.state === 'revoked' || award?.state === 'revoking' || Boolean(status?.revoked);
        const suspended = !revoked && Boolean(status?.suspended);
        const earned = Boolean(award) && !revoked && !suspended;
        return {
          name: achievement.name,
          earned,
          revoked,
          suspended,
          credentialUrl: award?.credentialId ? `/credentials/${encodeURIComponent(award.credentialId)}` : null,
          pending: earned && !award?.credentialId,
          lines,
          // A badge attached before its rules were written: say so rather than show a bare name.
          noCriteria: lines.length === 0 && !award,
        };
      }),
    };
  };
}
