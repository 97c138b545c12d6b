/**
 * AGS results as outcomes: every line item the tool can see in a course and every result
 * on it, read with the platform's client-credentials token (the LTI capability's client
 * follows `rel="next"` paging). Results on an achievement's own "Badge: NAME" line item
 * become the activity `badge:<achievement id>`: an instructor grading it awards the badge.
 *
 * https://www.imsglobal.org/spec/lti-ags/v2p0#result-service
 */
import type { AgsClient, LineItem } from '../lti/services.ts';
import { badgeAchievementOf } from '../lti/badge-line-item.ts';
import type { OutcomeContext } from '../storage/outcome-repository.ts';
import type { OutcomeEvent } from './outcome-event.ts';

/** Activity key of an AGS line item (criteria name it like this); a badge column is `badge:<achievement id>`. */
export function lineItemActivity(item: Pick<LineItem, 'id' | 'resourceId'>): string {
  const achievementId = badgeAchievementOf(item);
  return achievementId ? `badge:${achievementId}` : `lineitem:${item.id}`;
}

export interface ReadAgsResultsParameters {
  ags: Pick<AgsClient, 'listLineItems' | 'listResults'>;
  context: OutcomeContext;
  now: () => Date;
}

/**
 * Yields one batch of events per line item, so a large course is never held in memory
 * at once.
 */
export async function* readAgsResults({ ags, context, now }: ReadAgsResultsParameters): AsyncGenerator<OutcomeEvent[]> {
  if (!context.agsLineItemsUrl) return;
  const items = await ags.listLineItems(context.agsLineItemsUrl);
  for (const item of items) {
    const results = await ags.listResults(item.id);
    const activity = lineItemActivity(item);
    const events: OutcomeEvent[] = [];
    for (const result of results) {
      if (result.resultScore === undefined || result.resultScore === null) continue;
      const at = typeof result.timestamp === 'string' && !Number.isNaN(Date.parse(result.timestamp)) ? new Date(result.timestamp) : now();
      events.push({
        platform: context.platformId,
        context: context.lmsContextId,
        learner: result.userId,
        activity,
        activityName: item.label,
        score: Number(result.resultScore),
        max: Number(result.resultMaximum ?? item.scoreMaximum),
        completed: null,
        at,
        source: 'ags',
      });
    }
    if (events.length > 0) yield events;
  }
}
