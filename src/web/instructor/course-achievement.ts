/**
 * The one check every instructor route that names an achievement makes: the achievement
 * belongs to the launch's course, or is attached to it from the institution's library.
 * Anything else (another course's, a malformed id, none) is `achievement_not_found`, so
 * an instructor learns nothing about other courses.
 */
import type { Response } from 'express';
import type { Achievement, AchievementRepository } from '../../storage/achievement-repository.ts';
import type { Launch } from '../../lti/require-launch.ts';
import { IssuanceError } from '../../issuance/issuance-error.ts';

export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A finder bound to `achievements`, for the route's `res.locals.launch`. */
export function courseAchievementFinder(achievements: AchievementRepository): (res: Response, id: string) => Promise<Achievement> {
  return async (res, id) => {
    const launch = res.locals.launch as Launch;
    const achievement = UUID_PATTERN.test(id) ? await achievements.findById(id) : null;
    const inCourse = achievement && (achievement.contextId === launch.contextId || (await achievements.findLink(achievement.id, launch.contextId)));
    if (!achievement || !inCourse) throw new IssuanceError('achievement_not_found', `No achievement ${id} in this course`);
    return achievement;
  };
}
