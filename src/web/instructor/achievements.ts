/**
 * Issuance administration over JSON (admin bearer token): the pipeline's state and its
 * failed jobs with retry, the awards of an achievement, and manual award / revoke with a
 * reason (audit-logged, through the same pipeline as automatic awards).
 *
 * - `GET  /api/issuance/status` → `{jobs, awards, failed: [{id, kind, key, attempts, lastError, parkedReason, updatedAt}]}`
 *   (`parkedReason`: why a job waits without retrying, e.g. `recipient_unreachable`; null when it ran out of attempts)
 * - `POST /api/issuance/jobs/:id/retry` → `{retried: true}`
 * - `GET  /api/achievements/:id/awards` → `{awards: [...]}`
 * - `POST /api/awards` `{achievementId, userId, contextId?, reason}` → 201 award
 * - `POST /api/awards/:id/revoke` `{reason}` → award
 *
 * And the instructor's pages in the LMS (`achievementPagesRouter`, below).
 */
import { courseAchievementFinder, UUID_PATTERN } from './course-achievement.ts';
import { createPlatformRepository } from '../../storage/platform-repository.ts';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Database } from '../../storage/database.ts';
import { createAwardRepository } from '../../storage/award-repository.ts';
import { createJobRepository } from '../../storage/job-repository.ts';
import { awardManually, revokeManually } from '../../issuance/manual-award.ts';
import { queueCourseEvaluation } from '../../issuance/evaluate-course.ts';
import { IssuanceError } from '../../issuance/issuance-error.ts';
import { requireAdminToken } from '../admin/auth.ts';
import { createAchievementRepository, type Achievement } from '../../storage/achievement-repository.ts';
import { createOutcomeRepository, listCourseLearners } from '../../storage/outcome-repository.ts';
import { renderNarrative, renderNarratives, resolveActivityNames, validateCriteria, type Criteria } from '../../criteria/index.ts';
import type { Launch, RequireLaunch } from '../../lti/require-launch.ts';
import type { Lti } from '../../lti/provider.ts';
import { builderFromCriteria, criteriaFromBuilder, emptyRow, hasBuilderFields, jsonProblems, readBuilder, type BuilderState, type FieldProblem } from './criteria-builder.ts';
import { checkFields, fieldsOf, newFields, readFields, type AchievementFields } from './achievement-fields.ts';
import { editorView } from './achievement-editor-view.ts';
import { translate, type Locale } from '../i18n.ts';
import type { PageRenderer } from '../views.ts';
import { achievementImageRouter } from './achievement-image.ts';
import { earnersRouter } from './earners.ts';

export interface IssuanceAdminRouterDependencies {
  db: Database;
  adminToken: string;
  /** Wakes this process's issuance worker after queueing work. */
  poke?: () => void;
}

const uuid = z.string().uuid();
const awardBody = z.object({ achievementId: uuid, userId: uuid, contextId: uuid.optional(), reason: z.string() }).strict();
const revokeBody = z.object({ reason: z.string() }).strict();

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value ?? {});
  if (!parsed.success) {
    throw new IssuanceError('invalid_award_request', 'The request is not valid', {
      problems: parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
    });
  }
  return parsed.data;
}

function param(req: Request, name: string, schema: z.ZodType<string>, code: 'award_not_found' | 'job_not_found' | 'achievement_not_found'): string {
  const value = String(req.params[name] ?? "");
  if (!schema.safeParse(value).success) throw new IssuanceError(code, `No such ${code.replace('_not_found', '')} ${value}`);
  return value;
}

export function issuanceAdminRouter({ db, adminToken, poke }: IssuanceAdminRouterDependencies): Router {
  const router = Router();
  const admin = requireAdminToken(adminToken);
  const jobs = createJobRepository(db);
  const awards = createAwardRepository(db);

  router.get('/api/issuance/status', admin, async (_req, res) => {
    const failed = await jobs.listFailed();
    res.json({
      jobs: await jobs.counts(),
      awards: await awards.countByState(),
      failed: failed.map(({ id, kind, key, attempts, lastError, parkedReason, updatedAt }) => ({ id, kind, key, attempts, lastError, parkedReason, updatedAt })),
    });
  });

  router.post('/api/issuance/jobs/:id/retry', admin, async (req, res) => {
    const id = Number(param(req, 'id', z.string().regex(/^\d{1,15}$/), 'job_not_found'));
    if (!(await jobs.retry(id))) throw new IssuanceError('job_not_found', `No failed job ${id}`);
    poke?.();
    res.json({ retried: true });
  });

  router.get('/api/achievements/:id/awards', admin, async (req, res) => {
    const id = param(req, 'id', uuid, 'achievement_not_found');
    res.json({ awards: await awards.listForAchievement(id) });
  });

  router.post('/api/awards', admin, async (req, res) => {
    const body = parse(awardBody, req.body);
    const award = await awardManually({ db, ...body, actor: 'admin' });
    poke?.();
    res.status(201).json(award);
  });

  router.post('/api/awards/:id/revoke', admin, async (req, res) => {
    const id = param(req, 'id', uuid, 'award_not_found');
    const { reason } = parse(revokeBody, req.body);
    const award = await revokeManually({ db, awardId: id, actor: 'admin', reason });
    poke?.();
    res.json(award);
  });

  return router;
}

// ---- Instructor pages inside the LMS --------------------------------------------------

export interface AchievementPagesDependencies {
  db: Database;
  requireLaunch: RequireLaunch;
  pages: PageRenderer;
  poke?: () => void;
  /**
   * Answers the LMS of a Deep Linking launch (lti's `deepLinkingResponse`): an editor
   * reached from "add an activity" ends by attaching what was saved. Absent, saving
   * always returns to the editor.
   */
  deepLinkingResponse?: Lti['deepLinkingResponse'];
}

/** What the editor shows: the fields, the builder's rows and the criteria as JSON. */
interface EditorState {
  fields: AchievementFields;
  /** Null when the criteria do not fit the builder (nested groups): they are edited as JSON. */
  builder: BuilderState | null;
  criteriaJson: string;
  useJson: boolean;
  moreRules?: number;
  moreAlignments?: number;
}

interface CriteriaCheck {
  criteria: Criteria | null;
  problems: FieldProblem[];
  builder: BuilderState | null;
  criteriaJson: string;
  useJson: boolean;
}

/** A new achievement's first rule: 80% in the course's first graded activity, else completing its first activity. */
const starterBuilder = (activities: readonly { activity: string; max: number | null }[]): BuilderState => {
  const graded = activities.find((a) => a.max !== null);
  const row = graded
    ? { ...emptyRow(), kind: 'score' as const, activity: graded.activity, threshold: '80' }
    : activities[0]
      ? { ...emptyRow(), kind: 'completed' as const, activity: activities[0].activity }
      : emptyRow();
  return { combine: 'all', count: '', rows: [row] };
};

/**
 * `/app/achievements/new`, `/app/achievements/:id/edit` (fields, criteria builder with its
 * JSON under "Advanced", awards, manual award and revoke with a reason), `…/preview` (the
 * builder's words, for the page's script), `…/:id/archive` and `…/:id/unarchive`, for
 * instructors launched from the course. Bad input re-renders the form (400) with each
 * problem next to its field and keeps what was typed.
 */
export function achievementPagesRouter({ db, requireLaunch, pages, poke, deepLinkingResponse }: AchievementPagesDependencies): Router {
  const router = Router();
  const instructorOnly = requireLaunch({ roles: 'instructor' });
  const achievements = createAchievementRepository(db);
  const awards = createAwardRepository(db);
  const outcomes = createOutcomeRepository(db);
  const jobs = createJobRepository(db);
  router.use(achievementImageRouter({ db, requireLaunch, pages }), earnersRouter({ db, requireLaunch, pages, poke }));

  const fromDeepLinking = (launch: Launch) => launch.messageType === 'LtiDeepLinkingRequest' && Boolean(deepLinkingResponse);

  const render = async (
    res: Response,
    status: number,
    data: { achievement?: Achievement | null; state: EditorState; problems?: FieldProblem[]; message?: string },
  ) => {
    const launch = res.locals.launch as Launch;
    const locale = res.locals.locale as Locale;
    const activities = await outcomes.listActivities(launch.contextId);
    const awardList = data.achievement ? await awards.listForAchievement(data.achievement.id) : [];
    const learners = data.achievement ? await listCourseLearners(db, launch.contextId) : [];
    const parked = data.achievement ? await parkedLines(data.achievement, locale) : [];
    const problems = data.problems ?? [];
    const names = new Map(activities.map((a) => [a.activity, a.name]));
    res
      .status(status)
      .type('html')
      .send(
        pages.render(
          'achievement-edit',
          {
            title: translate(locale, data.achievement ? 'iss.edit.title' : 'iss.new.title'),
            ltik: launch.ltik,
            achievement: data.achievement ?? null,
            action: data.achievement ? `/app/achievements/${data.achievement.id}/edit` : '/app/achievements/new',
            // The language link leads to the editor, also from the award and revoke forms' answers.
            langPath: data.achievement ? `/app/achievements/${data.achievement.id}/edit` : '/app/achievements/new',
            deepLinking: fromDeepLinking(launch),
            message: data.message ?? null,
            ...editorView({ state: data.state, problems, activities, locale, achievement: data.achievement ?? null, names }),
            activities,
            awards: awardList.map((award) => ({
              id: award.id,
              learner: award.learnerName ?? award.learnerSub,
              state: translate(locale, `iss.state.${award.state}`),
              active: award.state === 'awarded' || award.state === 'signed' || award.state === 'posted',
              origin: translate(locale, `iss.origin.${award.origin}`),
              when: new Date(award.createdAt).toISOString().slice(0, 10),
              reason: award.reason ?? award.revokeReason ?? '',
            })),
            learners: learners.map((learner) => ({ id: learner.id, label: learner.name ?? learner.email ?? learner.sub })),
            parked,
          },
          locale,
        ),
      );
  };

  /** What waits, and why, in words an instructor can act on (one line per learner; one for the criteria). */
  const parkedLines = async (achievement: Achievement, locale: Locale): Promise<string[]> => {
    const rows = await jobs.listParkedForAchievement(achievement.id);
    const lines: string[] = [];
    // The course's evaluations wait for whichever achievement's criteria broke: say it on that one's page.
    const criteria = rows.filter((row) => row.reason === 'criteria_invalid');
    let broken = false;
    try {
      validateCriteria({ criteria: achievement.criteria });
    } catch {
      broken = true;
    }
    if (criteria.length > 0 && broken) lines.push(translate(locale, 'iss.parked.criteria_invalid', { count: criteria.length }));
    for (const row of rows) {
      if (row.reason === 'criteria_invalid') continue;
      const reason = ['recipient_unreachable', 'credential_invalid'].includes(row.reason) ? row.reason : 'attempts_exhausted';
      lines.push(translate(locale, `iss.parked.${reason}`, { learner: row.learner ?? '?' }));
    }
    return lines;
  };

  /**
   * The criteria of a submitted form: from the builder's rows, or from the JSON under
   * "Advanced" when the instructor chose it (or the request has no builder fields).
   */
  const checkCriteria = async (body: Record<string, unknown>, contextId: string): Promise<CriteriaCheck> => {
    const known = await outcomes.listActivities(contextId);
    const keys = new Set(known.map((a) => a.activity));
    const builderFields = hasBuilderFields(body);
    const criteriaJson = typeof body.criteria === 'string' ? body.criteria : '';
    const useJson = body['use-json'] === '1' || !builderFields;
    if (!useJson) {
      const builder = readBuilder(body);
      const built = criteriaFromBuilder({ state: builder, knownActivities: keys });
      return { ...built, builder, criteriaJson: built.criteria ? JSON.stringify(built.criteria, null, 2) : criteriaJson, useJson };
    }
    let json: unknown;
    try {
      json = JSON.parse(criteriaJson);
    } catch {
      return { criteria: null, problems: [{ field: 'criteria', key: 'iss.error.json' }], builder: builderFields ? readBuilder(body) : null, criteriaJson, useJson };
    }
    // Every activity a rule names must be one the course has (read from the LMS at each
    // instructor launch and sync); its name as the LMS shows it works as well as its key.
    const resolved = resolveActivityNames(json, known);
    const builder = builderFields ? readBuilder(body) : builderFromCriteria(resolved.criteria);
    try {
      const criteria = validateCriteria({ criteria: resolved.criteria, knownActivities: keys });
      return { criteria, problems: [], builder, criteriaJson, useJson };
    } catch (error) {
      const knownNames = known.map((a) => a.name).join(', ');
      const problems = jsonProblems(error, resolved.ambiguous).map((problem) =>
        problem.key === 'iss.json.unknownActivity'
          ? { ...problem, key: known.length === 0 ? 'iss.json.noActivities' : problem.key, params: { ...problem.params, known: knownNames } }
          : problem,
      );
      return { criteria: null, problems, builder, criteriaJson, useJson };
    }
  };

  /** The editor's state for a stored achievement (or a new one). */
  const stateOf = async (achievement: Achievement | null, contextId: string, locale: Locale): Promise<EditorState> => {
    if (!achievement) {
      const activities = await outcomes.listActivities(contextId);
      const builder = starterBuilder(activities);
      const built = criteriaFromBuilder({ state: builder, knownActivities: new Set(activities.map((a) => a.activity)) });
      return { fields: newFields(locale), builder, criteriaJson: built.criteria ? JSON.stringify(built.criteria, null, 2) : '', useJson: false };
    }
    const builder = builderFromCriteria(achievement.criteria);
    return { fields: fieldsOf(achievement), builder, criteriaJson: JSON.stringify(achievement.criteria, null, 2), useJson: builder === null };
  };

  const ownAchievement = courseAchievementFinder(achievements);

  /** After a save: back to the LMS when the editor came from Deep Linking, else to the editor. */
  const finish = async (res: Response, achievement: Achievement) => {
    const launch = res.locals.launch as Launch;
    if (fromDeepLinking(launch)) {
      await achievements.link({ achievementId: achievement.id, contextId: launch.contextId, resourceLinkId: null, lineItemUrl: null });
      await queueCourseEvaluation({ db, contextId: launch.contextId });
      poke?.();
      const response = await deepLinkingResponse!({
        ltik: launch.ltik,
        achievements: [achievement],
        message: translate(res.locals.locale, 'lti.deeplink.message', { name: achievement.name }),
      });
      res.type('html').send(pages.render('lti-deep-link-return', { title: translate(res.locals.locale, 'lti.deeplink.returning'), ...response }, res.locals.locale));
      return;
    }
    // Learners who already qualify get the badge now, not at their next grade change.
    await queueCourseEvaluation({ db, contextId: launch.contextId });
    poke?.();
    res.redirect(303, `/app/achievements/${achievement.id}/edit?ltik=${encodeURIComponent(launch.ltik)}&saved=1`);
  };

  /** Reads and checks a submitted editor; renders it again (400, or 200 for "more rows") unless it can be saved. */
  const submitted = async (req: Request, res: Response, achievement: Achievement | null) => {
    const launch = res.locals.launch as Launch;
    const locale = res.locals.locale as Locale;
    const body = (req.body ?? {}) as Record<string, unknown>;
    const fields = readFields(body, achievement ? fieldsOf(achievement) : newFields(locale));
    const checkedFields = checkFields(fields, achievement ?? undefined);
    const checkedCriteria = await checkCriteria(body, launch.contextId);
    const state: EditorState = {
      fields,
      builder: checkedCriteria.builder,
      criteriaJson: checkedCriteria.criteriaJson,
      useJson: checkedCriteria.useJson,
    };
    // "More rules" / "More alignments" without JavaScript: the same form with empty rows added, nothing saved.
    if (body.more === 'rules' || body.more === 'alignments') {
      await render(res, 200, { achievement, state: { ...state, moreRules: body.more === 'rules' ? 3 : 0, moreAlignments: body.more === 'alignments' ? 3 : 0 } });
      return null;
    }
    const problems = [...checkedFields.problems, ...checkedCriteria.problems];
    if (problems.length > 0 || !checkedFields.values || !checkedCriteria.criteria) {
      await render(res, 400, { achievement, state, problems });
      return null;
    }
    const names = new Map((await outcomes.listActivities(launch.contextId)).map((a) => [a.activity, a.name]));
    return {
      ...checkedFields.values,
      criteria: checkedCriteria.criteria,
      criteriaNarrative: renderNarratives({ criteria: checkedCriteria.criteria, activityNames: names }),
    };
  };

  router.get('/app/achievements/new', instructorOnly, async (_req, res) => {
    const launch = res.locals.launch as Launch;
    await render(res, 200, { state: await stateOf(null, launch.contextId, res.locals.locale) });
  });

  router.post('/app/achievements/new', instructorOnly, async (req, res) => {
    const launch = res.locals.launch as Launch;
    const values = await submitted(req, res, null);
    if (!values) return;
    const issuerId = (await createPlatformRepository(db).findById(launch.platformId))!.issuerId;
    const input = { issuerId, contextId: launch.contextId, ...values, createdBy: `lti:${launch.platformId}:${launch.userId}` };
    // From Deep Linking it is a draft, as one made in the picker: it becomes an achievement
    // of the course once the LMS shows it saved the activity (migration 0410).
    const created = fromDeepLinking(launch) ? await achievements.createDraft(input) : await achievements.create(input);
    await finish(res, created);
  });

  router.get('/app/achievements/:id/edit', instructorOnly, async (req, res) => {
    const launch = res.locals.launch as Launch;
    const achievement = await ownAchievement(res, String(req.params.id));
    await render(res, 200, {
      achievement,
      state: await stateOf(achievement, launch.contextId, res.locals.locale),
      message: req.query.saved ? translate(res.locals.locale, 'iss.saved') : undefined,
    });
  });

  router.post('/app/achievements/:id/edit', instructorOnly, async (req, res) => {
    const achievement = await ownAchievement(res, String(req.params.id));
    const values = await submitted(req, res, achievement);
    if (!values) return;
    const updated = (await achievements.update(achievement.id, values))!;
    await finish(res, updated);
  });

  // The builder's words as the instructor types (the page's script); the same check as saving.
  router.post('/app/achievements/preview', instructorOnly, async (req, res) => {
    const launch = res.locals.launch as Launch;
    const locale = res.locals.locale as Locale;
    const checked = await checkCriteria((req.body ?? {}) as Record<string, unknown>, launch.contextId);
    const names = new Map((await outcomes.listActivities(launch.contextId)).map((a) => [a.activity, a.name]));
    res.json({
      narrative: checked.criteria ? renderNarrative({ criteria: checked.criteria, locale, activityNames: names }) : null,
      criteria: checked.criteria ? JSON.stringify(checked.criteria, null, 2) : null,
      problems: checked.problems.map((problem) => ({ field: problem.field, message: translate(locale, problem.key, problem.params) })),
    });
  });

  const setArchived = (archived: boolean) => async (req: Request, res: Response) => {
    const launch = res.locals.launch as Launch;
    const achievement = await ownAchievement(res, String(req.params.id));
    // One attached from the institution's library is not this course's to archive.
    if (achievement.contextId !== launch.contextId) throw new IssuanceError('achievement_not_found', `Achievement ${achievement.id} is not this course's own`);
    if (archived) await achievements.archive(achievement.id);
    else await achievements.unarchive(achievement.id);
    if (!archived) await queueCourseEvaluation({ db, contextId: launch.contextId });
    poke?.();
    const query = new URLSearchParams({ ltik: launch.ltik, done: archived ? 'archived' : 'unarchived', name: achievement.name.slice(0, 200) });
    res.redirect(303, `/app/instructor?${query}`);
  };
  router.post('/app/achievements/:id/archive', instructorOnly, setArchived(true));
  router.post('/app/achievements/:id/unarchive', instructorOnly, setArchived(false));

  const awardProblem = async (res: Response, achievement: Achievement, status: number, field: string, key: string) => {
    const launch = res.locals.launch as Launch;
    return render(res, status, { achievement, state: await stateOf(achievement, launch.contextId, res.locals.locale), problems: [{ field, key }] });
  };

  router.post('/app/achievements/:id/award', instructorOnly, async (req, res) => {
    const launch = res.locals.launch as Launch;
    const achievement = await ownAchievement(res, String(req.params.id));
    const userId = typeof req.body?.userId === 'string' ? req.body.userId : '';
    try {
      await awardManually({ db, achievementId: achievement.id, userId, contextId: launch.contextId, actor: `lti:${launch.platformId}:${launch.userId}`, reason: String(req.body?.reason ?? '') });
    } catch (error) {
      if (!(error instanceof IssuanceError) || !['invalid_award_request', 'already_awarded', 'learner_not_found'].includes(error.code)) throw error;
      const field = error.code === 'invalid_award_request' ? 'awardReason' : 'userId';
      return awardProblem(res, achievement, error.code === 'already_awarded' ? 409 : 400, field, `iss.error.${error.code}`);
    }
    poke?.();
    res.redirect(303, `/app/achievements/${achievement.id}/edit?ltik=${encodeURIComponent(launch.ltik)}&saved=1`);
  });

  router.post('/app/awards/:id/revoke', instructorOnly, async (req, res) => {
    const launch = res.locals.launch as Launch;
    const id = String(req.params.id);
    const award = UUID_PATTERN.test(id) ? await awards.findById(id) : null;
    if (!award || award.contextId !== launch.contextId) throw new IssuanceError('award_not_found', `No award ${id} in this course`);
    const achievement = (await achievements.findById(award.achievementId))!;
    try {
      await revokeManually({ db, awardId: award.id, actor: `lti:${launch.platformId}:${launch.userId}`, reason: String(req.body?.reason ?? '') });
    } catch (error) {
      if (!(error instanceof IssuanceError) || !['invalid_award_request', 'award_state_conflict'].includes(error.code)) throw error;
      return awardProblem(res, achievement, error.code === 'award_state_conflict' ? 409 : 400, `revoke-${award.id}`, `iss.error.${error.code}`);
    }
    poke?.();
    res.redirect(303, `/app/achievements/${achievement.id}/edit?ltik=${encodeURIComponent(launch.ltik)}&saved=1`);
  });

  return router;
}

