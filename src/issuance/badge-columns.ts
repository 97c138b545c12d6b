/**
 * One badge column per achievement and course. Sello once created its own column
 * (`resourceId = sello:achievement:<id>`) beside the one Deep Linking had the LMS create
 * (`resourceId = <id>`), and scores landed there. At each course sync the extra columns
 * are merged into the badge's column: its posted awards go back to the pipeline to be
 * posted on the badge's column, then the extra column is deleted from the LMS (it held
 * only Sello's badge scores, whose grades also changed course totals).
 *
 * https://www.imsglobal.org/spec/lti-ags/v2p0#line-item-service
 */
import type { Logger } from '../logger.ts';
import type { Database } from '../storage/database.ts';
import { createAchievementRepository } from '../storage/achievement-repository.ts';
import { createAwardRepository } from '../storage/award-repository.ts';
import type { OutcomeContext } from '../storage/outcome-repository.ts';
import type { AgsClient } from '../lti/services.ts';
import { badgeAchievementOf, pickBadgeColumn } from '../lti/badge-line-item.ts';

export interface MergeBadgeColumnsReport {
  /** Extra columns deleted. */
  merged: number;
  /** Awards queued to be posted again on their badge's column. */
  reposted: number;
}

/**
 * Merges every achievement's extra badge columns in the course into its one column.
 *
 * @throws LtiError from the AGS client (the next sync tries again; nothing is lost: the
 *   awards are moved before any column is deleted).
 */
export async function mergeBadgeColumns({
  db,
  ags,
  context,
  log,
}: {
  db: Database;
  ags: Pick<AgsClient, 'listLineItems' | 'deleteLineItem'>;
  context: OutcomeContext;
  log?: Pick<Logger, 'info'>;
}): Promise<MergeBadgeColumnsReport> {
  const report: MergeBadgeColumnsReport = { merged: 0, reposted: 0 };
  if (!context.agsLineItemsUrl) return report;
  const byAchievement = new Map<string, Awaited<ReturnType<typeof ags.listLineItems>>>();
  for (const item of await ags.listLineItems(context.agsLineItemsUrl)) {
    const achievementId = badgeAchievementOf(item);
    if (achievementId) byAchievement.set(achievementId, [...(byAchievement.get(achievementId) ?? []), item]);
  }
  const achievements = createAchievementRepository(db);
  for (const [achievementId, columns] of byAchievement) {
    if (columns.length < 2 || !(await achievements.findById(achievementId))) continue;
    const keep = pickBadgeColumn(columns)!;
    await db.withLock(`sello-badge-line-item:${context.id}/${achievementId}`, async () => {
      await achievements.link({ achievementId, contextId: context.id, resourceLinkId: null, lineItemUrl: keep.id });
      const moved = await createAwardRepository(db).moveToColumn({ achievementId, contextId: context.id, lineItemUrl: keep.id, actor: 'system:badge-column' });
      report.reposted += moved.length;
    });
    for (const extra of columns) {
      if (extra.id === keep.id) continue;
      await ags.deleteLineItem(extra.id);
      report.merged += 1;
      log?.info({ contextId: context.id, achievementId, kept: keep.id, deleted: extra.id }, 'extra badge column merged');
    }
  }
  return report;
}
