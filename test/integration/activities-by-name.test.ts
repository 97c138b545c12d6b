/**
 * Issue 12 item 5: at an instructor's launch Sello reads the course's activities (AGS
 * line items, Moodle `core_course_get_contents`, Canvas assignments and modules), so
 * the editor lists them by name before any grade exists, criteria may name them as the
 * LMS shows them, unknown ones are refused, and narratives never show keys.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandboxLms, ROLE, type Sandbox, type ToolRegistration } from '../../src/sandbox-lms/index.ts';
import { createBrowser, decodeHtml } from '../support/sandbox-lms/browser.ts';
import { startTestSello, type RunningTestSello } from '../support/sandbox-lms/sello.ts';
import { startFakeMoodle, type FakeMoodle } from '../support/moodle-ws-fake/index.ts';
import { startFakeCanvas, type FakeCanvas } from '../support/canvas-fake/index.ts';
import { testKek } from '../support/config.ts';
import { createActivityRefresh, createLaunchSync } from '../../src/issuance/start-issuance.ts';
import { createLogger } from '../../src/logger.ts';
import { createPlatformRepository } from '../../src/storage/platform-repository.ts';
import { createOutcomeSecretRepository } from '../../src/storage/outcome-secret-repository.ts';
import { createOutcomeRepository } from '../../src/storage/outcome-repository.ts';
import { createAchievementRepository } from '../../src/storage/achievement-repository.ts';
import { createOutboundFetch } from '../../src/outbound/outbound-fetch.ts';
import { ltiFormFields } from '../support/form-token.ts';

/** Sello's outbound client; the fakes listen on 127.0.0.1. */
const outboundFetch = createOutboundFetch({ allowPrivate: true });

/** A Sello whose launches do what production's issuance does: read activities (instructors), then sync (here: nothing). */
const selloReadingActivities = () =>
  startTestSello({
    env: { LTI_DYNREG_AUTO_APPROVE: 'true' },
    onLaunch: ({ db, lti }) =>
      createLaunchSync({ db, log: createLogger({ level: 'silent' }), refreshActivities: createActivityRefresh({ db, kek: testKek, ltiServices: lti.services, fetch: outboundFetch }), syncNow: async () => {} }),
  });

async function install(lms: Sandbox, sello: RunningTestSello, connector: { kind: 'moodle' | 'canvas'; baseUrl: string; token: string }) {
  await createBrowser().get(`${sello.url}/lti/register?openid_configuration=${encodeURIComponent(lms.openIdConfigurationUrl())}&registration_token=${lms.newRegistrationToken()}`);
  const registration = [...lms.registrations.values()][0]!;
  const platform = (await createPlatformRepository(sello.db).findByIssuerAndClient(lms.issuer, registration.clientId))!;
  await createOutcomeSecretRepository({ db: sello.db, kek: testKek }).setConnector({ platformId: platform.id, ...connector });
  return { registration, platformId: platform.id };
}

const post = (sello: RunningTestSello, path: string, ltik: string, fields: Record<string, string>) =>
  fetch(`${sello.url}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
    body: new URLSearchParams({ ...ltiFormFields(ltik), ...fields }).toString(),
  });

describe('activities by name in a Moodle course', () => {
  let lms: Sandbox;
  let moodle: FakeMoodle;
  let sello: RunningTestSello;
  let registration: ToolRegistration;
  let platformId: string;
  let ltik: string;

  beforeAll(async () => {
    lms = await startSandboxLms({ productFamily: 'moodle' });
    moodle = await startFakeMoodle();
    sello = await selloReadingActivities();
    lms.addUser({ sub: '2', name: 'Profesora', locale: 'en' });
    lms.addUser({ sub: '7', name: 'Eva' });
    lms.addCourse({ id: '42', title: 'Química' });
    lms.enroll('42', '2', [ROLE.instructor]);
    lms.enroll('42', '7', [ROLE.learner]);
    // Nobody has a grade yet.
    moodle.courses.set(42, {
      id: 42,
      activities: [
        { cmid: 301, name: 'Lectura: Introducción', modname: 'page' },
        { cmid: 302, name: 'Quiz 3', modname: 'quiz', grademax: 10, section: 2 },
        { cmid: 303, name: 'Welcome text', modname: 'label', section: 1 },
      ],
      users: [7],
      grades: new Map(),
      completed: new Map(),
      courseTotals: new Map(),
    });
    ({ registration, platformId } = await install(lms, sello, { kind: 'moodle', baseUrl: moodle.url, token: moodle.token }));
    const browser = createBrowser();
    const landed = await browser.submit(await browser.get(lms.initiateLaunch({ clientId: registration.clientId, userSub: '2', courseId: '42' }).url));
    ltik = new URL(landed.url).searchParams.get('ltik')!;
  }, 60_000);
  afterAll(async () => {
    await sello?.close();
    await moodle?.close();
    await lms?.close();
  });

  it("lists the course's activities by name in the editor right after the instructor's launch, before any grade", async () => {
    expect(moodle.calls.map((call) => call.wsfunction)).toContain('core_course_get_contents');
    const page = decodeHtml(await (await fetch(`${sello.url}/app/achievements/new?ltik=${encodeURIComponent(ltik)}`)).text());
    expect(page).toContain('<td>Quiz 3</td><td><code>moodle:cm:302</code></td>');
    expect(page).toContain('<td>Lectura: Introducción</td>');
    expect(page).not.toContain('Welcome text');
    // The builder's first rule offers the course's activities by name, the first graded one chosen.
    expect(page).toMatch(/<option value="moodle:cm:\d+" selected>Lectura: Introducción/);
  });

  it('accepts an activity by the name the LMS shows, stores its key, and writes the name in both narratives', async () => {
    const res = await post(sello, '/app/achievements/new', ltik, {
      name: 'Química básica',
      criteria: JSON.stringify({ kind: 'all', rules: [{ kind: 'score', activity: 'quiz 3', minPercent: 80 }, { kind: 'completed', activity: 'moodle:cm:301' }] }),
      policy: 'keep',
    });
    expect(res.status).toBe(303);
    const context = (await createOutcomeRepository(sello.db).findContextByLmsId(platformId, '42'))!;
    const [achievement] = await createAchievementRepository(sello.db).listForContext(context.id);
    expect(achievement!.criteria).toEqual({
      kind: 'all',
      rules: [
        { kind: 'score', activity: 'moodle:cm:302', minPercent: 80 },
        { kind: 'completed', activity: 'moodle:cm:301' },
      ],
    });
    expect(achievement!.criteriaNarrative).toEqual({
      en: 'All of the following:\n- Score at least 80% in Quiz 3\n- Complete Lectura: Introducción',
      es: 'Todo lo siguiente:\n- Obtener al menos 80% en Quiz 3\n- Completar Lectura: Introducción',
    });
    expect(JSON.stringify(achievement!.criteriaNarrative)).not.toContain('moodle:cm');
  });

  it('refuses criteria naming an activity the course does not have, with the known names in the page, and saves nothing', async () => {
    const context = (await createOutcomeRepository(sello.db).findContextByLmsId(platformId, '42'))!;
    const before = (await createAchievementRepository(sello.db).listForContext(context.id)).length;
    const res = await post(sello, '/app/achievements/new', ltik, {
      name: 'Otro',
      criteria: JSON.stringify({ kind: 'all', rules: [{ kind: 'score', activity: 'moodle:cm:3', minPercent: 80 }] }),
      policy: 'keep',
    });
    expect(res.status).toBe(400);
    const html = decodeHtml(await res.text());
    expect(html).toContain('Rule 1: this course has no activity "moodle:cm:3". Name one of its activities: Lectura: Introducción, Quiz 3.');
    expect((await createAchievementRepository(sello.db).listForContext(context.id)).length).toBe(before);
  });
});

describe('narratives written before the names were known', () => {
  let lms: Sandbox;
  let moodle: FakeMoodle;
  let sello: RunningTestSello;

  beforeAll(async () => {
    lms = await startSandboxLms({ productFamily: 'moodle' });
    moodle = await startFakeMoodle();
    sello = await selloReadingActivities();
    lms.addUser({ sub: '2', name: 'Profesora', locale: 'en' });
    lms.addCourse({ id: '43', title: 'Física' });
    lms.enroll('43', '2', [ROLE.instructor]);
    moodle.courses.set(43, { id: 43, activities: [{ cmid: 3, name: 'Quiz 3', modname: 'quiz', grademax: 10 }], users: [], grades: new Map(), completed: new Map(), courseTotals: new Map() });
  }, 60_000);
  afterAll(async () => {
    await sello?.close();
    await moodle?.close();
    await lms?.close();
  });

  it('are written again with the names at the next instructor launch, so later credentials never say moodle:cm:3', async () => {
    const { registration, platformId } = await install(lms, sello, { kind: 'moodle', baseUrl: moodle.url, token: moodle.token });
    // First launch records the course; then an achievement saved back when only keys were known.
    const launch = async () => {
      const browser = createBrowser();
      await browser.submit(await browser.get(lms.initiateLaunch({ clientId: registration.clientId, userSub: '2', courseId: '43' }).url));
    };
    await launch();
    const context = (await createOutcomeRepository(sello.db).findContextByLmsId(platformId, '43'))!;
    const issuerId = (await sello.db.query<{ issuer_id: string }>('SELECT issuer_id FROM platforms WHERE id = $1', [platformId])).rows[0]!.issuer_id;
    const old = await createAchievementRepository(sello.db).create({
      issuerId,
      contextId: context.id,
      name: 'Física I',
      criteria: { kind: 'all', rules: [{ kind: 'score', activity: 'moodle:cm:3', minPercent: 80 }] },
      criteriaNarrative: { en: 'All of the following:\n- Score at least 80% in moodle:cm:3', es: 'Todo lo siguiente:\n- Obtener al menos 80% en moodle:cm:3' },
    });
    await launch();
    expect((await createAchievementRepository(sello.db).findById(old.id))!.criteriaNarrative).toEqual({
      en: 'All of the following:\n- Score at least 80% in Quiz 3',
      es: 'Todo lo siguiente:\n- Obtener al menos 80% en Quiz 3',
    });
  });
});

describe('activities by name in a Canvas course', () => {
  let lms: Sandbox;
  let canvas: FakeCanvas;
  let sello: RunningTestSello;

  beforeAll(async () => {
    lms = await startSandboxLms({ productFamily: 'canvas' });
    canvas = await startFakeCanvas();
    sello = await selloReadingActivities();
    lms.addUser({ sub: 'c-teacher', name: 'Teacher', locale: 'en' });
    lms.addCourse({ id: 'a1b2c3', title: 'Biology' });
    lms.enroll('a1b2c3', 'c-teacher', [ROLE.instructor]);
    canvas.courses.set(77, {
      id: 77,
      students: [],
      modules: [{ id: 5, name: 'Week 1', items: [{ id: 51, title: 'Read chapter 1', type: 'Page', requirement: 'must_view' }] }],
      assignments: [{ id: 900, name: 'Lab report', points_possible: 20 }],
      completed: new Map(),
      scores: new Map(),
    });
    const { registration } = await install(lms, sello, { kind: 'canvas', baseUrl: canvas.url, token: canvas.token });
    const browser = createBrowser();
    // Canvas substitutes $Canvas.course.id in the developer key's custom fields.
    await browser.submit(await browser.get(lms.initiateLaunch({ clientId: registration.clientId, userSub: 'c-teacher', courseId: 'a1b2c3', custom: { canvas_course_id: '77' } }).url));
  }, 60_000);
  afterAll(async () => {
    await sello?.close();
    await canvas?.close();
    await lms?.close();
  });

  it('reads assignments and completion-tracked module items of the course behind the LTI context', async () => {
    expect(canvas.requests.some((r) => r.startsWith('/api/v1/courses/77/assignments'))).toBe(true);
    const { rows } = await sello.db.query<{ activity: string; name: string; max: number | null }>(
      'SELECT activity, name, max FROM outcome_activities ORDER BY activity',
    );
    expect(rows).toEqual([
      { activity: 'canvas:assignment:900', name: 'Lab report', max: 20 },
      { activity: 'canvas:module_item:51', name: 'Read chapter 1', max: null },
    ]);
  });
});
