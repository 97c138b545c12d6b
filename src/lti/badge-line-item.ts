/**
 * One key for an achievement's badge column (its AGS line item) everywhere: the line item
 * Deep Linking asks the LMS to create (`lineItem.resourceId`), the one a learner's launch
 * names in its AGS claim, and the one the issuance pipeline finds or creates all carry
 * `resourceId = <achievement id>`.
 *
 * Sello before this key created its own second column with `resourceId =
 * sello:achievement:<id>` when it did not know the Deep Linking one; such legacy columns
 * are still recognised so that they can be merged into the badge's column.
 *
 * https://www.imsglobal.org/spec/lti-ags/v2p0#line-item-service (resourceId)
 * https://www.imsglobal.org/spec/lti-dl/v2p0#line-item (lineItem in an ltiResourceLink)
 */
import type { LineItem } from './services.ts';
import type { Achievement } from '../storage/achievement-repository.ts';

const LEGACY_PREFIX = 'sello:achievement:';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The word before the badge's name in its column's title, by the achievement's language. */
const COLUMN_WORD: Record<string, string> = { en: 'Badge', es: 'Insignia' };

/**
 * The title of an achievement's badge column in the LMS gradebook: "Badge: NAME", or
 * "Insignia: NAME" for a Spanish achievement. The course's people read it in the LMS,
 * beside columns in their own language; Sello finds the column by its `resourceId`, never
 * by this title.
 */
export function badgeColumnLabel(achievement: Pick<Achievement, 'name' | 'inLanguage'>): string {
  const language = (achievement.inLanguage ?? '').toLowerCase().split(/[-_]/)[0]!;
  return `${COLUMN_WORD[language] ?? COLUMN_WORD.en}: ${achievement.name}`;
}

/** `resourceId` of an achievement's badge column. */
export function badgeResourceId(achievementId: string): string {
  return achievementId;
}

/**
 * The achievement whose badge column this line item is, or null. AGS lists only the
 * tool's own line items, so a uuid `resourceId` is Sello's.
 */
export function badgeAchievementOf(item: Pick<LineItem, 'resourceId'>): string | null {
  const resourceId = item.resourceId ?? '';
  const id = resourceId.startsWith(LEGACY_PREFIX) ? resourceId.slice(LEGACY_PREFIX.length) : resourceId;
  return UUID.test(id) ? id.toLowerCase() : null;
}

/** True for a column made under the old `sello:achievement:<id>` key. */
export function isLegacyBadgeColumn(item: Pick<LineItem, 'resourceId'>): boolean {
  return (item.resourceId ?? '').startsWith(LEGACY_PREFIX);
}

/**
 * Of an achievement's columns in one course, the one that is the badge's column: the
 * one Deep Linking created (bound to a resource link), else one under the current key,
 * else a legacy one; ties go to the oldest (lowest URL order as listed).
 */
export function pickBadgeColumn<T extends Pick<LineItem, 'id' | 'resourceId' | 'resourceLinkId'>>(columns: readonly T[]): T | null {
  const rank = (item: T) => (item.resourceLinkId ? 0 : isLegacyBadgeColumn(item) ? 2 : 1);
  return [...columns].sort((a, b) => rank(a) - rank(b))[0] ?? null;
}
