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
import { CriteriaError, renderNarratives, resolveActivityNames, validateCriteria, type Criteria, type CriteriaProblem } from '../../criteria/index.ts';
import type { Launch, RequireLaunch } from '../../lti/require-launch.ts';
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
}

interface AchievementForm {
  name: string;
  description: string;
  criteria: string;
  policy: 'keep' | 'revoke';
}

/** A starting point naming the course's first graded activity by name (names work as well as keys). */
const exampleCriteria = (activity: { name: string } | undefined) =>
  JSON.stringify({ kind: 'all', rules: [{ kind: 'score', activity: activity?.name ?? '…', minPercent: 80 }] }, null, 2);

/**
 * `/app/achievements/new`, `/app/achievements/:id/edit` (criteria editor, awards list,
 * manual award and revoke with a reason), for instructors launched from the course.
 * Bad input re-renders the form with the problems (400) and keeps what was typed.
 */
export function achievementPagesRouter({ db, requireLaunch, pages, poke }: AchievementPagesDependencies): Router {
  const router = Router();
  const instructorOnly = requireLaunch({ roles: 'instructor' });
  const achievements = createAchievementRepository(db);
  const awards = createAwardRepository(db);
  const outcomes = createOutcomeRepository(db);
  const jobs = createJobRepository(db);
  router.use(achievementImageRouter({ db, requireLaunch, pages }), earnersRouter({ db, requireLaunch, pages, poke }));

  const render = async (res: Response, status: number, data: { achievement?: Achievement | null; form: AchievementForm; problems?: string[]; message?: string }) => {
    const launch = res.locals.launch as Launch;
    const locale = res.locals.locale as Locale;
    const activities = await outcomes.listActivities(launch.contextId);
    const awardList = data.achievement ? await awards.listForAchievement(data.achievement.id) : [];
    const learners = data.achievement ? await listCourseLearners(db, launch.contextId) : [];
    const parked = data.achievement ? await parkedLines(data.achievement, locale) : [];
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
            form: { ...data.form, keep: data.form.policy === 'keep', revoke: data.form.policy === 'revoke' },
            problems: data.problems ?? [],
            message: data.message ?? null,
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

  const formOf = (body: Record<string, unknown> | undefined): AchievementForm => ({
    name: typeof body?.name === 'string' ? body.name.trim() : '',
    description: typeof body?.description === 'string' ? body.description.trim() : '',
    criteria: typeof body?.criteria === 'string' ? body.criteria : '',
    policy: body?.policy === 'revoke' ? 'revoke' : 'keep',
  });

  /** Checks the form; returns the problems in the page's language, or the parsed criteria. */
  const check = async (form: AchievementForm, contextId: string, locale: Locale) => {
    const problems: string[] = [];
    if (!form.name || form.name.length > 200) problems.push(translate(locale, 'iss.error.name'));
    let criteria: Criteria | null = null;
    let json: unknown;
    try {
      json = JSON.parse(form.criteria);
    } catch {
      problems.push(translate(locale, 'iss.error.json'));
    }
    if (json !== undefined) {
      // Every activity a rule names must be one the course has (read from the LMS at each
      // instructor launch and sync); its name as the LMS shows it works as well as its key.
      const known = await outcomes.listActivities(contextId);
      const resolved = resolveActivityNames(json, known);
      try {
        criteria = validateCriteria({ criteria: resolved.criteria, knownActivities: new Set(known.map((a) => a.activity)) });
      } catch (error) {
        if (!(error instanceof CriteriaError)) throw error;
        const names = known.map((a) => a.name).join(', ');
        for (const problem of (error.details?.problems ?? []) as CriteriaProblem[]) {
          if (problem.unknownActivity === undefined) problems.push(`${problem.path}: ${problem.message}`);
          else if (resolved.ambiguous.includes(problem.unknownActivity)) problems.push(translate(locale, 'iss.error.ambiguousActivity', { activity: problem.unknownActivity }));
          else if (known.length === 0) problems.push(translate(locale, 'iss.error.noActivities', { activity: problem.unknownActivity }));
          else problems.push(translate(locale, 'iss.error.unknownActivity', { activity: problem.unknownActivity, known: names }));
        }
      }
    }
    return { problems, criteria };
  };

  const ownAchievement = async (res: Response, id: string): Promise<Achievement> => {
    const launch = res.locals.launch as Launch;
    const achievement = UUID_PATTERN.test(id) ? await achievements.findById(id) : null;
    const inCourse = achievement && (achievement.contextId === launch.contextId || (await achievements.findLink(achievement.id, launch.contextId)));
    if (!achievement || !inCourse) throw new IssuanceError('achievement_not_found', `No achievement ${id} in this course`);
    return achievement;
  };

  router.get('/app/achievements/new', instructorOnly, async (_req, res) => {
    const activities = await outcomes.listActivities((res.locals.launch as Launch).contextId);
    await render(res, 200, { form: { name: '', description: '', criteria: exampleCriteria(activities.find((a) => a.max !== null) ?? activities[0]), policy: 'keep' } });
  });

  router.post('/app/achievements/new', instructorOnly, async (req, res) => {
    const launch = res.locals.launch as Launch;
    const form = formOf(req.body);
    const { problems, criteria } = await check(form, launch.contextId, res.locals.locale);
    if (problems.length > 0 || !criteria) return render(res, 400, { form, problems });
    const issuerId = (await createPlatformRepository(db).findById(launch.platformId))!.issuerId;
    const names = new Map((await outcomes.listActivities(launch.contextId)).map((a) => [a.activity, a.name]));
    const created = await achievements.create({
      issuerId,
      contextId: launch.contextId,
      name: form.name,
      description: form.description,
      criteria,
      criteriaNarrative: renderNarratives({ criteria, activityNames: names }),
      belowCriteriaPolicy: form.policy,
      inLanguage: res.locals.locale,
      createdBy: `lti:${launch.platformId}:${launch.userId}`,
    });
    // Learners who already qualify get the badge now, not at their next grade change.
    await queueCourseEvaluation({ db, contextId: launch.contextId });
    poke?.();
    res.redirect(303, `/app/achievements/${created.id}/edit?ltik=${encodeURIComponent(launch.ltik)}&saved=1`);
  });

  router.get('/app/achievements/:id/edit', instructorOnly, async (req, res) => {
    const achievement = await ownAchievement(res, String(req.params.id));
    await render(res, 200, {
      achievement,
      form: { name: achievement.name, description: achievement.description, criteria: JSON.stringify(achievement.criteria, null, 2), policy: achievement.belowCriteriaPolicy },
      message: req.query.saved ? translate(res.locals.locale, 'iss.saved') : undefined,
    });
  });

  router.post('/app/achievements/:id/edit', instructorOnly, async (req, res) => {
    const launch = res.locals.launch as Launch;
    const achievement = await ownAchievement(res, String(req.params.id));
    const form = formOf(req.body);
    const { problems, criteria } = await check(form, launch.contextId, res.locals.locale);
    if (problems.length > 0 || !criteria) return render(res, 400, { achievement, form, problems });
    const names = new Map((await outcomes.listActivities(launch.contextId)).map((a) => [a.activity, a.name]));
    await achievements.update(achievement.id, {
      name: form.name,
      description: form.description,
      criteria,
      criteriaNarrative: renderNarratives({ criteria, activityNames: names }),
      belowCriteriaPolicy: form.policy,
    });
    await queueCourseEvaluation({ db, contextId: launch.contextId });
    poke?.();
    res.redirect(303, `/app/achievements/${achievement.id}/edit?ltik=${encodeURIComponent(launch.ltik)}&saved=1`);
  });

  router.post('/app/achievements/:id/award', instructorOnly, async (req, res) => {
    const launch = res.locals.launch as Launch;
    const achievement = await ownAchievement(res, String(req.params.id));
    const userId = typeof req.body?.userId === 'string' ? req.body.userId : '';
    try {
      await awardManually({ db, achievementId: achievement.id, userId, contextId: launch.contextId, actor: `lti:${launch.platformId}:${launch.userId}`, reason: String(req.body?.reason ?? '') });
    } catch (error) {
      if (!(error instanceof IssuanceError) || !['invalid_award_request', 'already_awarded', 'learner_not_found'].includes(error.code)) throw error;
      const form = { name: achievement.name, description: achievement.description, criteria: JSON.stringify(achievement.criteria, null, 2), policy: achievement.belowCriteriaPolicy };
      return render(res, error.code === 'already_awarded' ? 409 : 400, { achievement, form, problems: [translate(res.locals.locale, `iss.error.${error.code}`)] });
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
      const form = { name: achievement.name, description: achievement.description, criteria: JSON.stringify(achievement.criteria, null, 2), policy: achievement.belowCriteriaPolicy };
      return render(res, error.code === 'award_state_conflict' ? 409 : 400, { achievement, form, problems: [translate(res.locals.locale, `iss.error.${error.code}`)] });
    }
    poke?.();
    res.redirect(303, `/app/achievements/${achievement.id}/edit?ltik=${encodeURIComponent(launch.ltik)}&saved=1`);
  });

  return router;
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
