/**
 * The earners of an achievement, for the course's instructors (from an LTI launch): each
 * learner's progress rule by rule and where their badge stands (in progress, being issued,
 * issued, anchored, in the gradebook, waiting with its reason, revoked), with award by
 * hand (learners only), revoke with a reason, retry of a waiting job, and a CSV export.
 *
 * - `GET  /app/achievements/:id/earners` → the page
 * - `GET  /app/achievements/:id/earners.csv` → `text/csv` (RFC 4180 quoting, formula cells neutralised)
 * - `POST /app/achievements/:id/earners/award` `{userId, reason}` → 303, or 400/409 with the problem in the page
 * - `POST /app/achievements/:id/earners/revoke` `{awardId, reason}` → 303, or 400/409
 * - `POST /app/achievements/:id/earners/retry` `{jobId}` → 303, or 400
 *
 * Manual awards and revocations go through `awardManually` / `revokeManually`: the same
 * pipeline and audit log as the admin API (`issuanceAdminRouter`).
 */
import { courseAchievementFinder } from './course-achievement.ts';
import { Router, type Response } from 'express';
import type { Database } from '../../storage/database.ts';
import { createAchievementRepository, type Achievement } from '../../storage/achievement-repository.ts';
import { createEarnersRepository, type EarnerRow } from '../../storage/earners-repository.ts';
import { createJobRepository } from '../../storage/job-repository.ts';
import { createOutcomeRepository } from '../../storage/outcome-repository.ts';
import { awardManually, revokeManually } from '../../issuance/manual-award.ts';
import { IssuanceError } from '../../issuance/issuance-error.ts';
import { describeProgress, evaluate, leafProgress, validateCriteria, type Criteria } from '../../criteria/index.ts';
import { isInstructorRole } from '../../lti/claims.ts';
import type { Launch, RequireLaunch } from '../../lti/require-launch.ts';
import { translate, type Locale } from '../i18n.ts';
import type { PageRenderer } from '../views.ts';

export interface EarnersRouterDependencies {
  db: Database;
  requireLaunch: RequireLaunch;
  pages: PageRenderer;
  /** Wakes this process's issuance worker after queueing work. */
  poke?: () => void;
  now?: () => Date;
}

export type EarnerState = 'in_progress' | 'awarded' | 'issued' | 'anchored' | 'in_gradebook' | 'parked' | 'revoking' | 'revoked';

export interface EarnerView {
  userId: string;
  name: string;
  email: string;
  state: EarnerState;
  stateLabel: string;
  /** One plain line more: the parked reason, the revocation reason, anchoring. */
  detail: string;
  progress: Array<{ text: string; met: boolean }>;
  met: boolean;
  awardId: string | null;
  awardedAt: string;
  credentialUrl: string | null;
  canRevoke: boolean;
  canAward: boolean;
  parkedJobId: number | null;
}

const KNOWN_PARK_REASONS = new Set(['recipient_unreachable', 'credential_invalid', 'criteria_invalid', 'attempts_exhausted']);

/** Where the badge stands, the furthest step first: revoked, waiting, in the gradebook, anchored, issued, being issued. */
export function earnerState(row: Pick<EarnerRow, 'state' | 'credentialId' | 'anchorStatus' | 'parkedJobId'>): EarnerState {
  if (row.state === 'revoked') return 'revoked';
  if (row.state === 'revoking') return 'revoking';
  if (row.parkedJobId !== null) return 'parked';
  if (row.state === null) return 'in_progress';
  if (row.state === 'posted') return 'in_gradebook';
  if (row.credentialId && row.anchorStatus === 'anchored') return 'anchored';
  if (row.credentialId) return 'issued';
  return 'awarded';
}

/**
 * One CSV cell (RFC 4180): always quoted, quotes doubled; a cell that a spreadsheet would
 * read as a formula (starting with = + - @, or a tab or carriage return before one) gets
 * a leading apostrophe, so a learner named `=HYPERLINK(…)` stays text (OWASP CSV injection).
 */
export function csvCell(value: string): string {
  const guarded = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return `"${guarded.replace(/"/g, '""')}"`;
}

export function earnersRouter({ db, requireLaunch, pages, poke, now = () => new Date() }: EarnersRouterDependencies): Router {
  const router = Router();
  const instructorOnly = requireLaunch({ roles: 'instructor' });
  const achievements = createAchievementRepository(db);
  const earners = createEarnersRepository(db);
  const outcomes = createOutcomeRepository(db);
  const jobs = createJobRepository(db);

  const ownAchievement = courseAchievementFinder(achievements);

  /** The course's learners (never its instructors, unless they hold an award) with their progress and state. */
  const earnerViews = async (achievement: Achievement, launch: Launch, locale: Locale): Promise<EarnerView[]> => {
    const rows = (await earners.list(achievement.id, launch.contextId)).filter((row) => row.awardId !== null || (row.enrolled && !isInstructorRole(row.roles)));
    const activities = await outcomes.listActivities(launch.contextId);
    const activityNames = new Map(activities.map((activity) => [activity.activity, activity.name]));
    let criteria: Criteria | null = null;
    try {
      criteria = validateCriteria({ criteria: achievement.criteria });
    } catch {
      criteria = null;
    }
    const date = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' });
    return Promise.all(
      rows.map(async (row) => {
        let progress: EarnerView['progress'] = [];
        let met = false;
        if (criteria) {
          const result = evaluate({ criteria, outcomes: await outcomes.listForLearner(launch.contextId, row.userId), now: now(), activityNames });
          progress = leafProgress(result.progress).map((rule) => ({ text: describeProgress(rule, locale), met: rule.met }));
          met = result.met;
        }
        const state = earnerState(row);
        const parkedReason = row.parkedReason && KNOWN_PARK_REASONS.has(row.parkedReason) ? row.parkedReason : 'attempts_exhausted';
        const detail =
          state === 'parked'
            ? translate(locale, `earners.parked.${parkedReason}`)
            : state === 'revoked' || state === 'revoking'
              ? translate(locale, 'earners.revokedBecause', { reason: row.revokeReason ?? '' })
              : state === 'in_gradebook' || state === 'issued'
                ? translate(locale, row.anchorStatus === 'anchored' ? 'earners.anchored' : 'earners.anchoring')
                : state === 'in_progress' && met
                  ? translate(locale, 'earners.metWaiting')
                  : '';
        const learner = isInstructorRole(row.roles) ? null : row;
        return {
          userId: row.userId,
          name: row.name ?? row.sub,
          email: row.email ?? '',
          state,
          stateLabel: translate(locale, `earners.state.${state}`),
          detail,
          progress,
          met,
          awardId: row.awardId,
          awardedAt: row.awardedAt ? date.format(new Date(row.awardedAt)) : '',
          credentialUrl: row.credentialId ? `/credentials/${encodeURIComponent(row.credentialId)}` : null,
          canRevoke: row.state === 'awarded' || row.state === 'signed' || row.state === 'posted',
          canAward: Boolean(learner) && row.enrolled && (row.state === null || row.state === 'revoked'),
          parkedJobId: row.parkedJobId,
        };
      }),
    );
  };

  const render = async (res: Response, status: number, achievement: Achievement, extra: { problem?: string; problemFor?: string; message?: string; form?: Record<string, string> } = {}) => {
    const launch = res.locals.launch as Launch;
    const locale = res.locals.locale as Locale;
    const list = await earnerViews(achievement, launch, locale);
    const counts = Object.fromEntries(['in_progress', 'issued', 'parked', 'revoked'].map((key) => [key, 0])) as Record<string, number>;
    for (const earner of list) {
      const bucket = ['awarded', 'issued', 'anchored', 'in_gradebook'].includes(earner.state) ? 'issued' : earner.state === 'revoking' ? 'revoked' : earner.state;
      counts[bucket] = (counts[bucket] ?? 0) + 1;
    }
    res
      .status(status)
      .type('html')
      .send(
        pages.render(
          'instructor-earners',
          {
            title: translate(locale, 'earners.title', { name: achievement.name }),
            ltik: launch.ltik,
            langPath: `/app/achievements/${achievement.id}/earners`,
            achievement: { id: achievement.id, name: achievement.name },
            earners: list.map((earner) => ({ ...earner, problem: extra.problemFor === earner.userId || extra.problemFor === earner.awardId ? extra.problem : null })),
            awardable: list.filter((earner) => earner.canAward),
            summary: translate(locale, 'earners.summary', counts),
            problem: extra.problemFor ? null : (extra.problem ?? null),
            message: extra.message ?? null,
            form: extra.form ?? {},
            csvUrl: `/app/achievements/${achievement.id}/earners.csv?ltik=${encodeURIComponent(launch.ltik)}`,
          },
          locale,
        ),
      );
  };

  const done = (res: Response, achievement: Achievement, message: string) => {
    const launch = res.locals.launch as Launch;
    res.redirect(303, `/app/achievements/${achievement.id}/earners?ltik=${encodeURIComponent(launch.ltik)}&done=${message}`);
  };

  const actor = (launch: Launch) => `lti:${launch.platformId}:${launch.userId}`;
  const field = (body: unknown, name: string) => {
    const value = (body as Record<string, unknown> | undefined)?.[name];
    return typeof value === 'string' ? value : '';
  };

  router.get('/app/achievements/:id/earners', instructorOnly, async (req, res) => {
    const achievement = await ownAchievement(res, String(req.params.id));
    const done = typeof req.query.done === 'string' && ['awarded', 'revoked', 'retried'].includes(req.query.done) ? req.query.done : null;
    await render(res, 200, achievement, { message: done ? translate(res.locals.locale, `earners.done.${done}`) : undefined });
  });

  router.get('/app/achievements/:id/earners.csv', instructorOnly, async (req, res) => {
    const launch = res.locals.launch as Launch;
    const locale = res.locals.locale as Locale;
    const achievement = await ownAchievement(res, String(req.params.id));
    const list = await earnerViews(achievement, launch, locale);
    const origin = `${req.protocol}://${req.get('host')}`;
    const header = ['learner', 'email', 'state', 'detail', 'progress', 'awardedAt', 'credential'].map((key) => translate(locale, `earners.csv.${key}`));
    const lines = [header, ...list.map((earner) => [
      earner.name,
      earner.email,
      earner.stateLabel,
      earner.detail,
      earner.progress.map((line) => `${line.met ? '✓' : '✗'} ${line.text}`).join('; '),
      earner.awardedAt,
      earner.credentialUrl ? `${origin}${earner.credentialUrl}` : '',
    ])];
    const filename = `earners-${achievement.name.replace(/[^\p{L}\p{N}]+/gu, '-').replace(/^-|-$/g, '').slice(0, 60) || achievement.id}.csv`;
    res
      .type('text/csv; charset=utf-8')
      .set('content-disposition', `attachment; filename="${filename.replace(/[^\x20-\x7e]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(filename)}`)
      .set('cache-control', 'private, no-store')
      // A byte-order mark: spreadsheets then read the accents of names as UTF-8.
      .send('\ufeff' + lines.map((cells) => cells.map(csvCell).join(',')).join('\r\n') + '\r\n');
  });

  router.post('/app/achievements/:id/earners/award', instructorOnly, async (req, res) => {
    const launch = res.locals.launch as Launch;
    const locale = res.locals.locale as Locale;
    const achievement = await ownAchievement(res, String(req.params.id));
    const userId = field(req.body, 'userId');
    const reason = field(req.body, 'reason');
    const form = { userId, reason };
    // Learners of this course only: an instructor (or someone outside the course) never gets a badge by hand.
    const row = (await earners.list(achievement.id, launch.contextId)).find((candidate) => candidate.userId === userId);
    if (!row || !row.enrolled) return render(res, 400, achievement, { problem: translate(locale, 'earners.error.choose'), form });
    if (isInstructorRole(row.roles)) return render(res, 400, achievement, { problem: translate(locale, 'earners.error.instructor'), form });
    try {
      await awardManually({ db, achievementId: achievement.id, userId, contextId: launch.contextId, actor: actor(launch), reason });
    } catch (error) {
      if (!(error instanceof IssuanceError) || !['invalid_award_request', 'already_awarded', 'learner_not_found'].includes(error.code)) throw error;
      const key = error.code === 'invalid_award_request' ? 'earners.error.reason' : `iss.error.${error.code}`;
      return render(res, error.code === 'already_awarded' ? 409 : 400, achievement, { problem: translate(locale, key), form });
    }
    poke?.();
    done(res, achievement, 'awarded');
  });

  router.post('/app/achievements/:id/earners/revoke', instructorOnly, async (req, res) => {
    const launch = res.locals.launch as Launch;
    const locale = res.locals.locale as Locale;
    const achievement = await ownAchievement(res, String(req.params.id));
    const awardId = field(req.body, 'awardId');
    const row = (await earners.list(achievement.id, launch.contextId)).find((candidate) => candidate.awardId !== null && candidate.awardId === awardId);
    if (!row) throw new IssuanceError('award_not_found', `No award ${awardId.slice(0, 60)} of this achievement in this course`);
    try {
      await revokeManually({ db, awardId: row.awardId!, actor: actor(launch), reason: field(req.body, 'reason') });
    } catch (error) {
      if (!(error instanceof IssuanceError) || !['invalid_award_request', 'award_state_conflict'].includes(error.code)) throw error;
      const key = error.code === 'invalid_award_request' ? 'earners.error.revokeReason' : 'iss.error.award_state_conflict';
      return render(res, error.code === 'award_state_conflict' ? 409 : 400, achievement, { problem: translate(locale, key), problemFor: row.awardId! });
    }
    poke?.();
    done(res, achievement, 'revoked');
  });

  router.post('/app/achievements/:id/earners/retry', instructorOnly, async (req, res) => {
    const launch = res.locals.launch as Launch;
    const locale = res.locals.locale as Locale;
    const achievement = await ownAchievement(res, String(req.params.id));
    const raw = field(req.body, 'jobId');
    const jobId = /^\d{1,15}$/.test(raw) ? Number(raw) : null;
    // Only a job of this achievement in this course: an instructor cannot retry other courses' work.
    if (jobId === null || !(await earners.isParkedJobOf(jobId, achievement.id, launch.contextId)) || !(await jobs.retry(jobId))) {
      return render(res, 400, achievement, { problem: translate(locale, 'earners.error.retry') });
    }
    poke?.();
    done(res, achievement, 'retried');
  });

  return router;
}
