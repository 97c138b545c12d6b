/**
 * The demo (issue 13): `npm start`'s embedded defaults mount a sandbox LMS at `/demo`,
 * registered as an active platform without Dynamic Registration; a visitor launches as
 * the instructor (a real LTI 1.3 launch), attaches a badge by Deep Linking, sets a
 * learner's grade in the demo gradebook, and the learner's launch shows the badge the
 * normal pipeline issued. Production has no demo unless DEMO=1 asks for it.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSello, type RunningSello } from '../../src/server.ts';
import { loadConfig } from '../../src/config.ts';
import { makeTempDir, testKek } from '../support/config.ts';
import { createBrowser, decodeHtml, parseForm, type Page } from '../support/sandbox-lms/browser.ts';
import { createPlatformRepository } from '../../src/storage/platform-repository.ts';
import { createAchievementRepository } from '../../src/storage/achievement-repository.ts';
import { createOutcomeRepository } from '../../src/storage/outcome-repository.ts';
import { createAwardRepository } from '../../src/storage/award-repository.ts';
import { DEMO_CLIENT_ID, DEMO_COURSE_ID, DEMO_COURSES, DEMO_LMS_PATH } from '../../src/web/demo/demo.ts';
import { freePort } from '../support/free-port.ts';

const dataDirs: string[] = [];
afterAll(() => {
  for (const dir of dataDirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** `npm start`'s settings (nothing set but where to listen), or more. */
async function startOnDefaults(env: Record<string, string> = {}) {
  const port = await freePort();
  const dataDir = makeTempDir();
  dataDirs.push(dataDir);
  const lines: string[] = [];
  const config = loadConfig({ SELLO_DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: `http://127.0.0.1:${port}`, LOG_LEVEL: 'silent', ...env });
  const sello = await startSello({ config, announce: (line) => lines.push(line) });
  return { sello, lines, config };
}

describe('the demo setting', () => {
  it('is on with the embedded defaults of npm start, off in production and with a database server, and DEMO decides', () => {
    const production = { NODE_ENV: 'production', ADMIN_TOKEN: 'x'.repeat(32), SELLO_KEK: testKek.toString('hex'), PUBLIC_URL: 'https://sello.uni.example' };
    expect(loadConfig({}).demo).toBe(true);
    expect(loadConfig(production).demo).toBe(false);
    expect(loadConfig({ ...production, DEMO: '1' }).demo).toBe(true);
    expect(loadConfig({ DATABASE_URL: 'postgres://db.uni.example/sello' }).demo).toBe(false);
    expect(loadConfig({ CHAIN_RPC_URL: 'https://rpc.uni.example', CHAIN_SIGNER_KEY: '0x' + '1'.repeat(64) }).demo).toBe(false);
    expect(loadConfig({ DEMO: '0' }).demo).toBe(false);
    expect(() => loadConfig({ DEMO: 'maybe' })).toThrow(/DEMO/);
  });
});

describe('the demo in a production Sello', () => {
  it('is not mounted: no page, no LMS, no platform', async () => {
    const { sello, lines } = await startOnDefaults({ NODE_ENV: 'production', ADMIN_TOKEN: 'demo-test-admin-token-0123456789', SELLO_KEK: testKek.toString('hex') });
    try {
      expect((await fetch(`${sello.url}/demo`)).status).toBe(404);
      expect((await fetch(`${sello.url}${DEMO_LMS_PATH}/jwks`)).status).toBe(404);
      expect(await createPlatformRepository(sello.db).list()).toEqual([]);
      expect(lines.join('\n')).not.toContain('Try it');
    } finally {
      await sello.close();
    }
  }, 120_000);
});

describe('the demo on the embedded defaults', () => {
  let sello: RunningSello;
  let lines: string[];
  const browser = createBrowser();
  const demoPage = () => browser.get(`${sello.url}/demo`);
  const ltikOf = (page: Page) => new URL(page.url).searchParams.get('ltik')!;
  /** The CSRF token the page's forms carry (bound to its ltik), as a browser would send it. */
  const formTokenOf = (page: Page) => /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;

  beforeAll(async () => {
    ({ sello, lines } = await startOnDefaults());
  }, 120_000);
  afterAll(async () => {
    await sello?.close();
  });

  it('says where to try it at start, and shows a page that says it is a demo, in English and Spanish', async () => {
    expect(lines).toContain(`Try it: ${sello.url}/demo (a demo LMS inside Sello; DEMO=0 turns it off)`);
    const page = await demoPage();
    expect(page.status).toBe(200);
    expect(decodeHtml(page.text)).toContain('This is a demo.');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const spanish = await browser.get(`${sello.url}/demo`, { 'accept-language': 'es' });
    expect(decodeHtml(spanish.text)).toContain('Esto es una demostración.');
  });

  it('refuses a demo form sent from another site or without its token, with a message in the page, and changes no grade', async () => {
    const grade = parseForm((await demoPage()).text, 'grade');
    expect(grade.fields._csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const send = (fields: Record<string, string>, headers: Record<string, string>) =>
      fetch(`${sello.url}/demo/grade`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', ...headers }, body: new URLSearchParams(fields).toString() });
    const forged = await send({ learner: 'demo-ben', column: grade.fields.column!, score: '99' }, { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' });
    expect(forged.status).toBe(403);
    expect(decodeHtml(await forged.text())).toContain('This form could not be accepted');
    // The page's token without the browser cookie it is bound to (another visitor's page).
    const elsewhere = await send({ ...grade.fields, learner: 'demo-ben', score: '99' }, { accept: 'application/json' });
    expect(elsewhere.status).toBe(403);
    expect(((await elsewhere.json()) as { code: string }).code).toBe('csrf_failed');
    const inSpanish = await send({ user: 'demo-instructor' }, { 'accept-language': 'es', 'sec-fetch-site': 'cross-site' });
    expect(decodeHtml(await inSpanish.text())).toContain('No se pudo aceptar este formulario');
    expect(decodeHtml((await demoPage()).text)).not.toContain('99 / 100');
  });

  it("refuses a launch as someone outside the course, or Deep Linking as a learner, and a grade for no learner or column, with a message in the page", async () => {
    for (const [id, overrides] of [
      ['launch-instructor', { user: 'someone-else' }],
      ['deep-link', { user: 'demo-ana' }],
    ] as const) {
      const refused = await browser.submit(await demoPage(), id, overrides);
      expect(refused.status, id).toBe(400);
      expect(decodeHtml(refused.text)).toContain('Choose one of the people of the course.');
    }
    for (const overrides of [{ learner: 'demo-nobody', score: '50' }, { column: 'no-such-column', score: '50' }] as Array<Record<string, string>>) {
      const refused = await browser.submit(await demoPage(), 'grade', overrides);
      expect(refused.status).toBe(400);
      expect(decodeHtml(refused.text)).toContain('Choose a learner and a gradebook column.');
    }
    const spanish = parseForm((await browser.get(`${sello.url}/demo`, { 'accept-language': 'es' })).text, 'grade');
    const notANumber = await browser.post(`${sello.url}/demo/grade`, { ...spanish.fields, score: 'mucho' }, { 'accept-language': 'es' });
    expect(notANumber.status).toBe(400);
    expect(decodeHtml(notANumber.text)).toContain('La calificación debe ser un número de 0 a 100.');
    expect(decodeHtml((await demoPage()).text)).not.toMatch(/\d+ \/ 100/);
    // The refused form keeps the learner it was for: correcting the score must not grade Ana instead of Carla.
    const forCarla = await browser.post(`${sello.url}/demo/grade`, { ...spanish.fields, learner: 'demo-carla', score: '150' }, { 'accept-language': 'es' });
    expect(forCarla.status).toBe(400);
    expect(parseForm(forCarla.text, 'grade').fields).toMatchObject({ learner: 'demo-carla', column: spanish.fields.column, score: '150' });
  });

  it("presents its course in the visitor's language: a Spanish page shows the Spanish course and gradebook, and its launches open that course in Sello", async () => {
    const english = decodeHtml((await demoPage()).text);
    expect(english).toContain(DEMO_COURSES.en.title);
    expect(english).toContain(DEMO_COURSES.en.exam);
    const spanishPage = await browser.get(`${sello.url}/demo`, { 'accept-language': 'es' });
    const spanish = decodeHtml(spanishPage.text);
    expect(spanish).toContain(`Curso de demostración: ${DEMO_COURSES.es.title}`);
    expect(spanish).toContain(`${DEMO_COURSES.es.exam} (/100)`);
    for (const english of [DEMO_COURSES.en.title, DEMO_COURSES.en.exam, DEMO_COURSES.en.label]) expect(spanish).not.toContain(english);
    const landed = await browser.submit(await browser.submit(spanishPage, 'launch-instructor'));
    expect(new URL(landed.url).pathname).toBe('/app/instructor');
    expect(decodeHtml(landed.text)).toContain(DEMO_COURSES.es.title);
    const platform = (await createPlatformRepository(sello.db).list())[0]!;
    expect((await createOutcomeRepository(sello.db).findContextByLmsId(platform.id, DEMO_COURSES.es.id))?.title).toBe(DEMO_COURSES.es.title);
  });

  it('registers the demo LMS as an active platform without Dynamic Registration', async () => {
    const platforms = await createPlatformRepository(sello.db).list();
    expect(platforms).toHaveLength(1);
    expect(platforms[0]).toMatchObject({ iss: `${sello.url}${DEMO_LMS_PATH}`, clientId: DEMO_CLIENT_ID, status: 'active' });
    expect(await createPlatformRepository(sello.db).listByIssuer(`${sello.url}${DEMO_LMS_PATH}`)).toHaveLength(1);
  });

  it('launches the instructor from the demo page into Sello instructor app through OIDC login and id_token', async () => {
    const login = await browser.submit(await demoPage(), 'launch-instructor');
    // The LMS's form_post of the id_token, with its script served by the LMS, not inline.
    expect(login.url).toContain(`${DEMO_LMS_PATH}/auth`);
    expect(login.text).toContain(`<script src="${sello.url}${DEMO_LMS_PATH}/auto-post.js"></script>`);
    const landed = await browser.submit(login);
    expect(landed.status).toBe(200);
    expect(new URL(landed.url).pathname).toBe('/app/instructor');
    expect(decodeHtml(landed.text)).toContain('Introduction to Statistics');
  });

  it('attaches a badge by Deep Linking, awards it to a learner graded in the demo gradebook, and shows it at her launch', async () => {
    // Deep Linking: the picker, a new badge, the signed response back to the LMS.
    const picker = await browser.submit(await browser.submit(await demoPage(), 'deep-link'));
    expect(new URL(picker.url).pathname).toBe('/app/deep-link');
    const returning = await browser.post(`${sello.url}/app/deep-link/create`, { ltik: ltikOf(picker), _csrf: formTokenOf(picker), name: 'Statistics ready' });
    const back = await browser.submit(returning);
    expect(new URL(back.url).pathname).toBe('/demo');
    expect(decodeHtml(back.text)).toContain('Attached to the course: Statistics ready');

    // The instructor launches again (the LMS shows the link) and sets the criteria by the column's name.
    const home = await browser.submit(await browser.submit(back, 'launch-instructor'));
    const platform = (await createPlatformRepository(sello.db).list())[0]!;
    const context = (await createOutcomeRepository(sello.db).findContextByLmsId(platform.id, DEMO_COURSE_ID))!;
    const badge = (await createAchievementRepository(sello.db).listForContext(context.id)).find((a) => a.name === 'Statistics ready')!;
    expect(badge).toBeDefined();
    const saved = await browser.post(`${sello.url}/app/achievements/${badge.id}/edit`, {
      ltik: ltikOf(home),
      _csrf: formTokenOf(home),
      name: 'Statistics ready',
      description: 'Passed the final exam of Introduction to Statistics.',
      criteria: JSON.stringify({ kind: 'all', rules: [{ kind: 'score', activity: 'Final exam', minPercent: 70 }] }),
      policy: 'keep',
    });
    expect(saved.status).toBe(200);
    expect(new URL(saved.url).searchParams.get('saved')).toBe('1');

    // A bad grade is refused with a message and changes nothing; a good one is read by Sello at once.
    const refused = await browser.submit(await demoPage(), 'grade', { learner: 'demo-ana', score: '150' });
    expect(refused.status).toBe(400);
    expect(decodeHtml(refused.text)).toContain('The grade must be a number from 0 to 100.');
    const graded = await browser.submit(await demoPage(), 'grade', { learner: 'demo-ana', score: '85' });
    expect(graded.status).toBe(200);
    expect(decodeHtml(graded.text)).toContain('Grade saved for Ana García, and Sello has read it.');
    expect(decodeHtml(graded.text)).toContain('85 / 100');

    const learnerId = (await sello.db.query<{ id: string }>(`SELECT id FROM users WHERE sub = 'demo-ana'`)).rows[0]!.id;
    const deadline = Date.now() + 60_000;
    let award = await createAwardRepository(sello.db).find(badge.id, learnerId);
    while (award?.state !== 'posted' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      award = await createAwardRepository(sello.db).find(badge.id, learnerId);
    }
    expect(award).toMatchObject({ state: 'posted', origin: 'criteria' });

    // Ana launches from the demo page: her badge is there, with its public page.
    const learnerHome = await browser.submit(await browser.submit(await demoPage(), 'launch-demo-ana'));
    expect(new URL(learnerHome.url).pathname).toBe('/app/learner');
    const text = decodeHtml(learnerHome.text);
    expect(text).toContain('Statistics ready');
    const credentialPath = /href="(\/credentials\/[^"]+)"/.exec(text)?.[1];
    expect(credentialPath).toBeDefined();
    expect((await browser.get(`${sello.url}${credentialPath}`)).status).toBe(200);
    // The LMS's gradebook shows what Sello posted back to the badge's column: the badge's link.
    expect(decodeHtml((await demoPage()).text)).toContain(`Badge earned: Statistics ready — ${sello.url}/credentials/`);
    // Ben, not graded, has no badge.
    expect((await createAwardRepository(sello.db).listForAchievement(badge.id)).map((a) => a.learnerSub)).toEqual(['demo-ana']);
  }, 120_000);
});
