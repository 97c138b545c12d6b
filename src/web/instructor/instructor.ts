/**
 * Instructor pages inside the LMS: the course's achievements (`/app/instructor`) and
 * the Deep Linking picker (`/app/deep-link`) that attaches a badge to the course.
 * The full achievement editor (`/app/achievements/…`) belongs to the issuance capability.
 */
import { isLmsAdministratorRole } from '../../lti/claims.ts';
import { Router, type Response } from 'express';
import type { Database } from '../../storage/database.ts';
import { createAchievementRepository, type Achievement } from '../../storage/achievement-repository.ts';
import { createContextRepository } from '../../storage/context-repository.ts';
import { createLtiViewRepository } from '../../storage/lti-view-repository.ts';
import { createPlatformRepository } from '../../storage/platform-repository.ts';
import type { Lti } from '../../lti/provider.ts';
import { validateCriteria } from '../../criteria/index.ts';
import { queueCourseEvaluation } from '../../issuance/evaluate-course.ts';
import type { Launch } from '../../lti/require-launch.ts';
import { LtiError, ltiErrorHandler } from '../../lti/errors.ts';
import type { SyncContextReport } from '../../outcomes/sync-context.ts';
import { formatDateTime, hasTranslation, translate, type Locale } from '../i18n.ts';
import type { PageRenderer } from '../views.ts';

export interface InstructorRouterDependencies {
  db: Database;
  lti: Pick<Lti, 'requireLaunch' | 'deepLinkingResponse'>;
  pages: PageRenderer;
  /** The running issuance's "sync this course now" (the "Sync now" button); absent, no button. */
  syncNow?: (contextId: string) => Promise<SyncContextReport>;
}

function earnable(achievement: Achievement): boolean {
  try {
    validateCriteria({ criteria: achievement.criteria });
    return true;
  } catch {
    return false;
  }
}

export function instructorRouter({ db, lti, pages, syncNow }: InstructorRouterDependencies): Router {
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
          // The language link leads to the picker, also from a form's answer (POST-only paths).
          { title: translate(res.locals.locale, 'lti.deeplink.title'), course, courseAchievements: inCourse, library, ltik: launch.ltik, langPath: '/app/deep-link', ...extra },
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

  router.get('/app/instructor', instructorOnly, async (req, res) => {
    const launch = res.locals.launch as Launch;
    const locale = res.locals.locale as Locale;
    const course = await contexts.findById(launch.contextId);
    const list = await achievements.listForCourseHome(launch.contextId);
    const awards = await views.countAwards(list.map((a) => a.id));
    const read = Number(req.query.read);
    const queued = Number(req.query.queued);
    const failed = typeof req.query.failed === 'string' ? req.query.failed.slice(0, 300) : '';
    const synced =
      req.query.synced === '1'
        ? failed
          ? translate(locale, 'lti.instructor.syncFailed', { source: failed.split(':')[0], error: failed.split(':').slice(1).join(':').trim() })
          : translate(locale, 'lti.instructor.synced', { read: Number.isFinite(read) ? read : 0, queued: Number.isFinite(queued) ? queued : 0 })
        : null;
    const doneName = typeof req.query.name === 'string' ? req.query.name.slice(0, 200) : '';
    const done = req.query.done === 'archived' || req.query.done === 'unarchived' ? translate(locale, `lti.instructor.${req.query.done}`, { name: doneName }) : null;
    const live = list.filter((a) => a.archivedAt === null);
    const item = (a: Achievement) => {
      // A draft is one nobody can earn yet: its criteria have no rules (as made in the picker) or no longer validate.
      const state = a.archivedAt !== null ? 'archived' : earnable(a) ? 'active' : 'draft';
      const narratives = a.criteriaNarrative ?? {};
      return {
        id: a.id,
        name: a.name,
        description: a.description,
        state,
        stateLabel: translate(locale, `lti.instructor.state.${state}`),
        draft: state === 'draft',
        archived: state === 'archived',
        own: a.contextId === launch.contextId,
        type: hasTranslation(`iss.type.${a.achievementType}`) ? translate(locale, `iss.type.${a.achievementType}`) : a.achievementType,
        criteria: narratives[locale] ?? narratives.en ?? '',
        awards: awards.get(a.id) ?? 0,
        duplicateName: live.filter((b) => b.name.trim().toLowerCase() === a.name.trim().toLowerCase()).length > 1 && state !== 'archived',
      };
    };
    res.type('html').send(
      pages.render(
        'instructor-home',
        {
          title: translate(locale, 'lti.instructor.title', { course: course?.title || 'Sello' }),
          // An administrator of the LMS also reaches its platform's Sello settings from here.
          lmsAdmin: isLmsAdministratorRole(launch.roles),
          course,
          ltik: launch.ltik,
          canSync: Boolean(syncNow),
          synced,
          done,
          lastSyncedAt: course?.lastSyncedAt ? formatDateTime(course.lastSyncedAt, locale) : null,
          achievements: live.map(item),
          archived: list.filter((a) => a.archivedAt !== null).map(item),
        },
        locale,
      ),
    );
  });

  // "Sync now": the course's roster, activities and results read at once, instead of
  // waiting for the schedule; the outcome is shown on the course page.
  router.post('/app/instructor/sync', instructorOnly, async (_req, res) => {
    const launch = res.locals.launch as Launch;
    if (!syncNow) throw new LtiError('lti_service_unavailable', 'Syncing is not available on this Sello');
    const report = await syncNow(launch.contextId);
    const failure = Object.entries(report.sources).find(([, result]) => result.error);
    const query = new URLSearchParams({ ltik: launch.ltik, synced: '1', read: String(report.total.received), queued: String(report.total.queued) });
    if (failure) query.set('failed', `${failure[0]}: ${failure[1].error}`);
    res.redirect(303, `/app/instructor?${query}`);
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
    // The same name twice in one course is most often a second "Create" after a
    // cancelled one: say so, and offer the one that exists, unless the instructor insists.
    const sameName = await achievements.findByNameInContext(launch.contextId, name);
    const draft = sameName.find((a) => a.confirmedAt === null && a.contextId === launch.contextId);
    const existing = sameName.find((a) => a.confirmedAt !== null);
    if (existing && !draft && body.confirmDuplicate !== '1') {
      await renderPicker(res, 409, {
        form,
        duplicate: { id: existing.id, name: existing.name },
        message: translate(res.locals.locale, 'lti.deeplink.duplicate', { name: existing.name }),
      });
      return;
    }
    // Created as a draft: nothing is listed, public or issued from until the LMS shows it
    // saved the activity (a launch of the link, or its line item); a draft the LMS never
    // saved is purged. A second "Create" of the same name reuses the draft.
    const platform = (await platforms.findById(launch.platformId))!;
    const achievement = draft
      ? ((await achievements.update(draft.id, { description, imageUrl: imageUrl || null })) ?? draft)
      : await achievements.createDraft({
          issuerId: platform.issuerId,
          contextId: launch.contextId,
          name,
          description,
          imageUrl: imageUrl || null,
          inLanguage: launch.locale,
          createdBy: launch.userId,
        });
    await respond(res, achievement);
  });

  router.use(ltiErrorHandler());
  return router;
}
