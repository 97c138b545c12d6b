/**
 * The gradebook port on LTI Advantage AGS: the badge score goes to the achievement's own
 * "Badge: NAME" line item (found or created through the course's line items service when
 * the link has none), `FullyGraded` / `Completed`, with the badge link in the comment.
 * On Canvas the score also carries the submission extension, so SpeedGrader shows the
 * verification URL as the submission.
 *
 * https://www.imsglobal.org/spec/lti-ags/v2p0#score-publish-service
 * https://canvas.instructure.com/doc/api/score.html (submission extension)
 */
import type { Database } from '../storage/database.ts';
import { createAchievementRepository } from '../storage/achievement-repository.ts';
import { createPlatformRepository } from '../storage/platform-repository.ts';
import type { LtiServices, Score } from '../lti/services.ts';
import type { GradebookPoster, PostBadgeParameters } from './ports.ts';

/** `resourceId` of Sello's badge line items: how Sello finds its own line item again. */
export function badgeResourceId(achievementId: string): string {
  return `sello:achievement:${achievementId}`;
}

export function createAgsGradebook({ db, services }: { db: Database; services: Pick<LtiServices, 'ags'> }): GradebookPoster {
  const platforms = createPlatformRepository(db);
  const achievements = createAchievementRepository(db);
  // Awards of one achievement run in parallel, in this process and in others on the same
  // database; only one of them may create its line item, the others wait and reuse the
  // link it saved. The map keeps this process's callers to one waiting on the lock.
  const creating = new Map<string, Promise<string>>();
  // A platform's product (Moodle, Canvas) does not change between posts; asked once a minute.
  const products = new Map<string, { at: number; platform: Promise<{ product: string } | null> }>();
  const productOf = (platformId: string) => {
    const cached = products.get(platformId);
    if (cached && Date.now() - cached.at < 60_000) return cached.platform;
    const platform = platforms.findById(platformId);
    products.set(platformId, { at: Date.now(), platform });
    return platform;
  };
  const badgeLineItem = (context: PostBadgeParameters['context'], achievement: PostBadgeParameters['achievement']) => {
    const key = `${context.id}/${achievement.id}`;
    let pending = creating.get(key);
    if (!pending) {
      pending = db
        .withLock(`sello-badge-line-item:${key}`, async () => {
          const linked = (await achievements.findLink(achievement.id, context.id))?.lineItemUrl;
          if (linked) return linked;
          const item = await services.ags(context.platformId).findOrCreateLineItem(context.agsLineItemsUrl!, {
            label: `Badge: ${achievement.name}`,
            scoreMaximum: 100,
            resourceId: badgeResourceId(achievement.id),
            tag: 'sello-badge',
          });
          await achievements.link({ achievementId: achievement.id, contextId: context.id, resourceLinkId: null, lineItemUrl: item.id });
          return item.id;
        })
        .finally(() => creating.delete(key));
      creating.set(key, pending);
    }
    return pending;
  };
  return {
    async postBadge({ context, achievement, learner, lineItemUrl, scoreGiven, scoreMaximum, comment, verificationUrl, timestamp }) {
      const ags = services.ags(context.platformId);
      let target = lineItemUrl;
      if (!target) {
        if (!context.agsLineItemsUrl) return { lineItemUrl: null, skipped: 'no_ags_line_items_service' };
        target = await badgeLineItem(context, achievement);
      }
      const platform = await productOf(context.platformId);
      const score: Score = {
        userId: learner.sub,
        scoreGiven,
        scoreMaximum,
        activityProgress: 'Completed',
        gradingProgress: 'FullyGraded',
        comment,
        timestamp: timestamp.toISOString(),
      };
      if (platform?.product === 'canvas' && verificationUrl && scoreGiven > 0) {
        score.submission = { submissionType: 'online_url', submissionData: verificationUrl, submittedAt: timestamp.toISOString() };
      }
      await ags.postScore(target, score);
      return { lineItemUrl: target };
    },
  };
}
