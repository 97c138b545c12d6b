/**
 * The demo (`/demo`, issue 13): the sandbox LMS mounted inside Sello at `/demo/lms`, with
 * one course, an instructor, three learners and a gradebook the visitor edits, so that a
 * newcomer can try the whole flow in a browser without an LMS.
 *
 * It is the same code path a real LMS uses: the sandbox is a strict LTI 1.3 platform (OIDC
 * login, RS256 id_tokens, Deep Linking, AGS, NRPS), every launch goes through Sello's
 * `/lti/login` and `/lti/launch`, and grades reach Sello through AGS results. Only the
 * registration is a shortcut: the demo platform is registered directly in Sello's
 * platform registry (an administrator's act, so active at once), never through the
 * anonymous Dynamic Registration endpoint, whose registrations wait for approval.
 *
 * The course is the LMS's data, typed in one language as a teacher would: the demo seeds
 * it once per language of Sello (same people, same kind of gradebook), and a visitor meets
 * the one in their page's language, so that a Spanish visitor's walk (launches, criteria,
 * gradebook, credential) shows no English course data.
 *
 * The LMS keeps its state in memory: a restart starts the courses' gradebooks afresh.
 *
 * https://www.imsglobal.org/spec/lti/v1p3 , https://www.imsglobal.org/spec/lti-dl/v2p0 ,
 * https://www.imsglobal.org/spec/lti-ags/v2p0
 */
import { Router, type RequestHandler } from 'express';
import { createSandboxLms, ROLE, type Sandbox } from '../../sandbox-lms/index.ts';
import type { Lti } from '../../lti/provider.ts';
import type { Platform } from '../../storage/platform-repository.ts';
import type { Database } from '../../storage/database.ts';
import { createOutcomeRepository } from '../../storage/outcome-repository.ts';
import type { PageRenderer } from '../views.ts';
import { translate, type Locale } from '../i18n.ts';

/** Where the demo LMS answers, under Sello's own URL. */
export const DEMO_LMS_PATH = '/demo/lms';
export const DEMO_CLIENT_ID = 'sello-demo';
export const DEMO_DEPLOYMENT_ID = '1';
/** The demo course in each language: its id in the LMS, title, short name and the gradebook column the visitor grades (criteria may name it). */
export const DEMO_COURSES: Readonly<Record<Locale, { id: string; title: string; label: string; exam: string }>> = {
  en: { id: 'demo-course', title: 'Introduction to Statistics', label: 'STAT-101', exam: 'Final exam' },
  es: { id: 'demo-course-es', title: 'Introducción a la estadística', label: 'EST-101', exam: 'Examen final' },
};
/** The English demo course (the one a visitor without a Spanish page meets). */
export const DEMO_COURSE_ID = DEMO_COURSES.en.id;
export const DEMO_INSTRUCTOR = 'demo-instructor';
export const DEMO_LEARNERS = ['demo-ana', 'demo-ben', 'demo-carla'] as const;

export interface Demo {
  lms: Sandbox;
  platform: Platform;
  /** The demo LMS itself: mount at `DEMO_LMS_PATH` before Sello's body parsers (it parses its own). */
  lmsHandler: RequestHandler;
  /** `/demo` (the page) and its forms. */
  router: Router;
}

export interface StartDemoParameters {
  db: Database;
  lti: Pick<Lti, 'registry'>;
  pages: PageRenderer;
  publicUrl: string;
  /** A course sync (what "Sync now" and the schedule run): after a grade, so the visitor need not wait. */
  syncNow?: (contextId: string) => Promise<unknown>;
}

/**
 * Builds the demo LMS with its course, and registers it in Sello as an active platform
 * (again at each start: its keys live in memory, its JWKS URL stays).
 *
 * @throws LtiError from the platform registry when the registration cannot be stored.
 */
export async function startDemo({ db, lti, pages, publicUrl, syncNow }: StartDemoParameters): Promise<Demo> {
  const lmsUrl = `${publicUrl}${DEMO_LMS_PATH}`;
  // After Deep Linking, the LMS shows its course page: here, the demo page.
  const { sandbox: lms, app } = await createSandboxLms({ url: lmsUrl, productFamily: 'moodle', pageSize: 50, deepLinkDoneUrl: () => `${publicUrl}/demo?attached=1` });
  lms.registerToolManually({
    clientId: DEMO_CLIENT_ID,
    deploymentId: DEMO_DEPLOYMENT_ID,
    loginUrl: `${publicUrl}/lti/login`,
    launchUrl: `${publicUrl}/lti/launch`,
    jwksUrl: `${publicUrl}/lti/keys`,
  });
  lms.addUser({ sub: DEMO_INSTRUCTOR, name: 'Irene Instructor', givenName: 'Irene', familyName: 'Instructor', email: 'irene@demo.sello.invalid' });
  const learnerNames: Record<string, [string, string]> = { 'demo-ana': ['Ana', 'García'], 'demo-ben': ['Ben', 'Okafor'], 'demo-carla': ['Carla', 'Rossi'] };
  for (const sub of DEMO_LEARNERS) {
    const [given, family] = learnerNames[sub]!;
    lms.addUser({ sub, name: `${given} ${family}`, givenName: given, familyName: family, email: `${given.toLowerCase()}@demo.sello.invalid` });
  }
  const exams = new Set<string>();
  for (const course of Object.values(DEMO_COURSES)) {
    lms.addCourse({ id: course.id, title: course.title, label: course.label });
    lms.enroll(course.id, DEMO_INSTRUCTOR, [ROLE.instructor]);
    for (const sub of DEMO_LEARNERS) lms.enroll(course.id, sub, [ROLE.learner]);
    exams.add(lms.addLineItem({ courseId: course.id, label: course.exam, scoreMaximum: 100, tag: 'exam' }).id);
  }
  const courseIds = Object.values(DEMO_COURSES).map((course) => course.id);
  /** The course a form names (its hidden field), else the one in the page's language. */
  const courseOf = (body: Record<string, unknown>, locale: Locale) =>
    typeof body.course === 'string' && courseIds.includes(body.course) ? body.course : DEMO_COURSES[locale].id;

  const platform = await lti.registry.register({
    iss: lms.issuer,
    clientId: DEMO_CLIENT_ID,
    authUrl: `${lmsUrl}/auth`,
    tokenUrl: `${lmsUrl}/token`,
    jwksUrl: `${lmsUrl}/jwks`,
    deploymentIds: [DEMO_DEPLOYMENT_ID],
    name: 'Sello demo LMS',
    product: 'moodle',
    status: 'active',
    registeredVia: 'manual',
  });

  const people = () => [DEMO_INSTRUCTOR, ...DEMO_LEARNERS].map((sub) => lms.users.get(sub)!);
  const columns = (courseId: string) => [...lms.lineItems.values()].filter((item) => item.courseId === courseId);
  /** The link the instructor attached last in a course (Deep Linking): launches open it, with its custom parameters, as an LMS does. */
  const attachedLink = (courseId: string) => {
    const item = lms.deepLinkReturns.filter((r) => r.courseId === courseId).flatMap((r) => r.items).at(-1);
    if (!item) return null;
    return { resourceLinkId: String(item.resourceLinkId), title: String(item.title ?? ''), custom: (item.custom ?? {}) as Record<string, string> };
  };

  const router = Router();
  const render = (locale: Locale, status: number, extra: Record<string, unknown>, res: Parameters<RequestHandler>[1]) => {
    const demoCourse = DEMO_COURSES[locale];
    const link = attachedLink(demoCourse.id);
    const cols = columns(demoCourse.id);
    res
      .status(status)
      .type('html')
      .send(
        pages.render(
          'demo',
          {
            title: translate(locale, 'demo.title'),
            langPath: '/demo',
            course: lms.courses.get(demoCourse.id),
            instructor: lms.users.get(DEMO_INSTRUCTOR),
            learners: DEMO_LEARNERS.map((sub) => ({
              sub,
              name: lms.users.get(sub)!.name,
              grades: cols.map((col) => {
                const result = lms.results.get(`${col.id}/results/${encodeURIComponent(sub)}`);
                // Sello's post-back to a badge column is a comment without a score (the badge's link).
                if (result?.resultScore === undefined) return result?.comment ?? '–';
                return `${Number(result.resultScore.toFixed(2))} / ${col.scoreMaximum}`;
              }),
            })),
            columns: cols.map((col) => ({ id: col.id, label: col.label, max: col.scoreMaximum, isExam: exams.has(col.id) })),
            attached: link?.title ?? null,
            suggestedCriteria: JSON.stringify({ kind: 'all', rules: [{ kind: 'score', activity: demoCourse.exam, minPercent: 70 }] }),
            ...extra,
          },
          locale,
        ),
      );
  };

  router.get('/demo', (req, res) => {
    render(res.locals.locale as Locale, 200, { justAttached: req.query.attached === '1' }, res);
  });

  // A launch as the LMS starts it: the login initiation request to Sello's /lti/login.
  router.post('/demo/launch', (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const user = typeof body.user === 'string' ? body.user : '';
    const deepLinking = body.message === 'deep-linking';
    const locale = res.locals.locale as Locale;
    if (!people().some((person) => person.sub === user) || (deepLinking && user !== DEMO_INSTRUCTOR)) {
      render(locale, 400, { error: translate(locale, 'demo.error.user') }, res);
      return;
    }
    // The visitor's language is the LMS user's language, as a real LMS's profile would be.
    lms.users.get(user)!.locale = locale;
    const courseId = courseOf(body, locale);
    const link = deepLinking ? null : attachedLink(courseId);
    const { url } = lms.initiateLaunch({
      clientId: DEMO_CLIENT_ID,
      userSub: user,
      courseId,
      messageType: deepLinking ? 'LtiDeepLinkingRequest' : 'LtiResourceLinkRequest',
      ...(link ? { resourceLinkId: link.resourceLinkId, custom: link.custom } : {}),
    });
    res.redirect(303, url);
  });

  // The demo gradebook: an instructor's grade in the LMS, which Sello reads through AGS.
  router.post('/demo/grade', async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const locale = res.locals.locale as Locale;
    const learner = typeof body.learner === 'string' ? body.learner : '';
    const column = columns(courseOf(body, locale)).find((col) => col.id === body.column);
    const raw = typeof body.score === 'string' ? body.score.trim().replace(',', '.') : '';
    const score = /^\d{1,6}(\.\d{1,2})?$/.test(raw) ? Number(raw) : NaN;
    if (!(DEMO_LEARNERS as readonly string[]).includes(learner) || !column) {
      render(locale, 400, { error: translate(locale, 'demo.error.gradeTarget') }, res);
      return;
    }
    if (!(score >= 0 && score <= column.scoreMaximum)) {
      render(locale, 400, { error: translate(locale, 'demo.error.score', { max: column.scoreMaximum }), form: { learner, column: column.id, score: raw } }, res);
      return;
    }
    lms.setLineItemGrade(column.id, learner, score);
    // Sello reads grades at each launch and on its schedule; the demo asks at once.
    const context = await createOutcomeRepository(db).findContextByLmsId(platform.id, column.courseId);
    let synced = false;
    if (context && syncNow) {
      await syncNow(context.id);
      synced = true;
    }
    render(locale, 200, { saved: translate(locale, synced ? 'demo.grade.savedSynced' : 'demo.grade.saved', { name: lms.users.get(learner)!.name }) }, res);
  });

  return { lms, platform, lmsHandler: app, router };
}
