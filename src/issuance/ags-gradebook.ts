/**
 * The gradebook port on LTI Advantage AGS: the badge goes to the achievement's one badge
 * column in the course (the line item Deep Linking created, found by `resourceId =
 * <achievement id>`, created only when the course has none), as a score WITHOUT
 * `scoreGiven`: `Completed` / `FullyGraded` and the badge link in the comment.
 *
 * Why no grade: every grade item counts in the LMS course total (Moodle took a learner
 * from 10/10 to 110/110 with a 100/100 badge), and a badge must not change anyone's
 * grade. Moodle stores a score without `scoreGiven` as an empty grade whose feedback is
 * the comment (mod/lti/service/gradebookservices, `save_grade_item`), and empty grades
 * count in no total; Canvas keeps the submission (with the submission extension, the
 * verification URL) ungraded, and ungraded submissions count in no total either.
 *
 * https://www.imsglobal.org/spec/lti-ags/v2p0#score-publish-service (scoreGiven optional)
 * https://canvas.instructure.com/doc/api/score.html (submission extension)
 */
import type { Database } from '../storage/database.ts';
import { createAchievementRepository } from '../storage/achievement-repository.ts';
import { createPlatformRepository } from '../storage/platform-repository.ts';
import type { LtiServices, Score } from '../lti/services.ts';
import { LtiError } from '../lti/errors.ts';
import { BADGE_LINE_ITEM_TAG, BADGE_SCORE_MAXIMUM } from '../lti/deep-linking.ts';
import { badgeAchievementOf, badgeColumnLabel, badgeResourceId, pickBadgeColumn } from '../lti/badge-line-item.ts';
import type { GradebookPoster, PostBadgeParameters } from './ports.ts';

export { badgeResourceId };

export function createAgsGradebook({ db, services }: { db: Database; services: Pick<LtiServices, 'ags'> }): GradebookPoster {
  const platforms = createPlatformRepository(db);
  const achievements = createAchievementRepository(db);
  // Awards of one achievement run in parallel, in this process and in others on the same
  // database; only one of them may look for (and maybe create) the column, the others
  // wait and reuse the link it saved. The map keeps this process's callers to one waiting.
  const resolving = new Map<string, Promise<string>>();
  // A platform's product (Moodle, Canvas) does not change between posts; asked once a minute.
  const products = new Map<string, { at: number; platform: Promise<{ product: string } | null> }>();
  const productOf = (platformId: string) => {
    const cached = products.get(platformId);
    if (cached && Date.now() - cached.at < 60_000) return cached.platform;
    const platform = platforms.findById(platformId);
    products.set(platformId, { at: Date.now(), platform });
    return platform;
  };
  const badgeColumn = (context: PostBadgeParameters['context'], achievement: PostBadgeParameters['achievement']) => {
    const key = `${context.id}/${achievement.id}`;
    let pending = resolving.get(key);
    if (!pending) {
      pending = db
        .withLock(`sello-badge-line-item:${key}`, async () => {
          const linked = (await achievements.findLink(achievement.id, context.id))?.lineItemUrl;
          if (linked) return linked;
          // A learner who never launched the badge's link: the column Deep Linking made is
          // there, Sello just has not been told its URL. Find it by its key before creating.
          const ags = services.ags(context.platformId);
          const columns = (await ags.listLineItems(context.agsLineItemsUrl!)).filter((item) => badgeAchievementOf(item) === achievement.id);
          const column =
            pickBadgeColumn(columns) ??
            (await ags.findOrCreateLineItem(context.agsLineItemsUrl!, {
              label: badgeColumnLabel(achievement),
              scoreMaximum: BADGE_SCORE_MAXIMUM,
              resourceId: badgeResourceId(achievement.id),
              tag: BADGE_LINE_ITEM_TAG,
            }));
          await achievements.link({ achievementId: achievement.id, contextId: context.id, resourceLinkId: null, lineItemUrl: column.id });
          return column.id;
        })
        .finally(() => resolving.delete(key));
      resolving.set(key, pending);
    }
    return pending;
  };
  return {
    async postBadge({ context, achievement, learner, lineItemUrl, earned, comment, verificationUrl, timestamp }) {
      const ags = services.ags(context.platformId);
      let target = lineItemUrl;
      if (!target) {
        if (!context.agsLineItemsUrl) return { lineItemUrl: null, skipped: 'no_ags_line_items_service' };
        target = await badgeColumn(context, achievement);
      }
      const platform = await productOf(context.platformId);
      const score: Score = {
        userId: learner.sub,
        activityProgress: 'Completed',
        gradingProgress: 'FullyGraded',
        comment,
        timestamp: timestamp.toISOString(),
      };
      if (platform?.product === 'canvas' && verificationUrl && earned) {
        score.submission = { submissionType: 'online_url', submissionData: verificationUrl, submittedAt: timestamp.toISOString() };
      }
      try {
        await ags.postScore(target, score);
      } catch (error) {
        // Moodle refuses a score whose timestamp is not after the one it holds (409), which
        // is what a repeated post after a crash is: the gradebook already shows it.
        if (error instanceof LtiError && (error.details as { status?: number } | undefined)?.status === 409) {
          return { lineItemUrl: target, skipped: 'newer_score_in_gradebook' };
        }
        throw error;
      }
      return { lineItemUrl: target };
    },
  };
}
