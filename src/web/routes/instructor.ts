/**
 * Instructor pages inside the LMS: the course's achievements (`/app/instructor`) and
 * the Deep Linking picker (`/app/deep-link`) that attaches a badge to the course.
 * The full achievement editor (`/app/achievements/…`) belongs to the issuance capability.
 */
import { Router, type Response } from 'express';
import type { Database } from '../../storage/database.ts';
import { createAchievementRepository, type Achievement } from '../../storage/achievement-repository.ts';
import { createContextRepository } from '../../storage/context-repository.ts';
import { createLtiViewRepository } from '../../storage/lti-view-repository.ts';
import { createPlatformRepository } from '../../storage/platform-repository.ts';
import type { Lti } from '../../lti/provider.ts';
import { queueCourseEvaluation } from '../../issuance/evaluate-course.ts';
import type { Launch } from '../../lti/require-launch.ts';
import { LtiError, ltiErrorHandler } from '../../lti/errors.ts';
import { translate } from '../i18n.ts';
import type { PageRenderer } from '../views.ts';

export interface InstructorRouterDependencies {
  db: Database;
  lti: Pick<Lti, 'requireLaunch' | 'deepLinkingResponse'>;
  pages: PageRenderer;
}

export function instructorRouter({ db, lti, pages }: InstructorRouterDependencies): Router {
  const router = Router();
  const achievements = createAchievementRepository(db);
  const contexts = createContextRepository(db);
  const platforms = createPlatformRepository(db);
  const views = createLtiViewRepository(db);
  const instructorOnly = lti.requireLaunch({ roles: 'instructor' });

  const choices = async (launch: Launch) => {
    const platform = (await platforms.findById(launch.platformId))!;
    const inCourse = await achievements.listForContext(launch.contextId);
    const inCourseIds = new Set(inCourse.map((a) => a.id));
    const library = (await achievements.listLibrary(platform.issuerId)).filter((a) => a.contextId === null && !inCourseIds.has(a.id));
    return { platform, inCourse, library };
  };

  const renderPicker = async (res: Response, status: number, extra: Record<string, unknown> = {}) => {
    const launch = res.locals.launch as Launch;
    const course = await contexts.findById(launch.contextId);
    const { inCourse, library } = await choices(launch);
    res
      .status(status)
      .type('html')
      .send(
        pages.render(
          'instructor-deep-link',
          { title: translate(res.locals.locale, 'lti.deeplink.title'), course, courseAchievements: inCourse, library, ltik: launch.ltik, ...extra },
          res.locals.locale,
        ),
      );
  };

  const respond = async (res: Response, achievement: Achievement) => {
    const launch = res.locals.launch as Launch;
    await achievements.link({ achievementId: achievement.id, contextId: launch.contextId, resourceLinkId: null, lineItemUrl: null });
    // An existing achievement attached here awards those of this course who already qualify.
    await queueCourseEvaluation({ db, contextId: launch.contextId });
    const response = await lti.deepLinkingResponse({
      ltik: launch.ltik,
      achievements: [achievement],
      message: translate(res.locals.locale, 'lti.deeplink.message', { name: achievement.name }),
    });
    res.type('html').send(pages.render('lti-deep-link-return', { title: 'Sello', ...response }, res.locals.locale));
  };

  router.get('/app/instructor', instructorOnly, async (_req, res) => {
    const launch = res.locals.launch as Launch;
    const course = await contexts.findById(launch.contextId);
    const list = await achievements.listForContext(launch.contextId);
    const awards = await views.countAwards(list.map((a) => a.id));
    res.type('html').send(
      pages.render(
        'instructor-home',
        {
          title: course?.title || 'Sello',
          course,
          ltik: launch.ltik,
          achievements: list.map((a) => ({ id: a.id, name: a.name, awards: awards.get(a.id) ?? 0 })),
        },
        res.locals.locale,
      ),
    );
  });

  router.get('/app/deep-link', instructorOnly, async (_req, res) => {
    await renderPicker(res, 200);
  });

  router.post('/app/deep-link', instructorOnly, async (req, res) => {
    const launch = res.locals.launch as Launch;
    const id = typeof req.body?.achievementId === 'string' ? req.body.achievementId : '';
    if (!id) {
      await renderPicker(res, 400, { message: translate(res.locals.locale, 'lti.deeplink.choose') });
      return;
    }
    const { inCourse, library } = await choices(launch);
    const achievement = [...inCourse, ...library].find((a) => a.id === id);
    if (!achievement) {
      const exists = /^[0-9a-f-]{36}$/i.test(id) ? await achievements.findById(id) : null;
      // Someone else's course achievement: forbidden, not merely missing.
      if (exists) throw new LtiError('lti_forbidden', 'That achievement belongs to another course');
      throw new LtiError('achievement_not_found', 'No such achievement');
    }
    await respond(res, achievement);
  });

  router.post('/app/deep-link/create', instructorOnly, async (req, res) => {
    const launch = res.locals.launch as Launch;
    const body = (req.body ?? {}) as Record<string, unknown>;
    const name = typeof body.name === 'string' ? body.name.trim() : '';
    const description = typeof body.description === 'string' ? body.description.trim().slice(0, 2000) : '';
    const imageUrl = typeof body.imageUrl === 'string' ? body.imageUrl.trim() : '';
    const form = { name, description, imageUrl };
    if (!name || name.length > 200) {
      await renderPicker(res, 400, { form, message: translate(res.locals.locale, 'lti.achievement.nameRequired') });
      return;
    }
    if (imageUrl && !/^https?:\/\/\S+$/.test(imageUrl)) {
      await renderPicker(res, 400, { form, message: translate(res.locals.locale, 'lti.achievement.imageInvalid') });
      return;
    }
    const platform = (await platforms.findById(launch.platformId))!;
    const user = launch.userId;
    const achievement = await achievements.create({
      issuerId: platform.issuerId,
      contextId: launch.contextId,
      name,
      description,
      imageUrl: imageUrl || null,
      inLanguage: launch.locale,
      createdBy: user,
    });
    await respond(res, achievement);
  });

  router.use(ltiErrorHandler());
  return router;
}
