/**
 * What one round of the issuance worker reads again and again: a round runs tens of jobs
 * of the same course and achievement, and each job would otherwise load the same
 * achievement, course and line item link (measured: a third of the embedded database's
 * statements in a 1,000-learner course). A round lasts well under a second, and reading
 * these once per round is no staler than reading them at the start of each job.
 * Awards, learners and everything a job writes are always read fresh.
 */
import type { Queryable } from '../storage/database.ts';
import { createAchievementRepository, type Achievement, type AchievementLink } from '../storage/achievement-repository.ts';
import { createOutcomeRepository, type OutcomeContext } from '../storage/outcome-repository.ts';

export interface RoundLookups {
  achievement(id: string): Promise<Achievement | null>;
  achievementsOfContext(contextId: string): Promise<Achievement[]>;
  context(id: string): Promise<OutcomeContext | null>;
  link(achievementId: string, contextId: string): Promise<AchievementLink | null>;
}

/** Lookups remembered until the object is dropped (the worker makes one per round). */
export function createRoundLookups(db: Queryable): RoundLookups {
  const achievements = createAchievementRepository(db);
  const outcomes = createOutcomeRepository(db);
  const remembered = new Map<string, Promise<unknown>>();
  const once = <T>(key: string, load: () => Promise<T>): Promise<T> => {
    let found = remembered.get(key) as Promise<T> | undefined;
    if (!found) {
      found = load();
      remembered.set(key, found);
      // A failed read is not remembered: the next job reads again.
      found.catch(() => remembered.delete(key));
    }
    return found;
  };
  return {
    achievement: (id) => once(`achievement:${id}`, () => achievements.findById(id)),
    achievementsOfContext: (contextId) => once(`context-achievements:${contextId}`, () => achievements.listForContext(contextId)),
    context: (id) => once(`context:${id}`, () => outcomes.findContext(id)),
    link: (achievementId, contextId) => once(`link:${achievementId}:${contextId}`, () => achievements.findLink(achievementId, contextId)),
  };
}
