/**
 * CSRF protection of Sello's forms (issue 13): every form of the LMS pages carries a token
 * bound to its ltik (so it works in an iframe without cookies), and a form post without
 * it, with another session's, or from another site is refused with 403 `csrf_failed`,
 * a message in the page for browsers, and nothing changed. What a cross-site form cannot
 * send (JSON, a bearer token) and what the LMS posts by design (`/lti/…`) pass as before.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandboxLms, ROLE, type Sandbox, type ToolRegistration } from '../../src/sandbox-lms/index.ts';
import { decodeHtml, parseForm } from '../support/sandbox-lms/browser.ts';
import { launchLtik, registerSello } from '../support/sandbox-lms/launch.ts';
import { startTestSello, type RunningTestSello } from '../support/sandbox-lms/sello.ts';
import { createUserRepository } from '../../src/storage/user-repository.ts';
import { createAchievementRepository } from '../../src/storage/achievement-repository.ts';
import { createOutcomeRepository } from '../../src/storage/outcome-repository.ts';
import { createPlatformRepository } from '../../src/storage/platform-repository.ts';

describe('form protection (CSRF) on the LMS pages', () => {
  let lms: Sandbox;
  let sello: RunningTestSello;
  let registration: ToolRegistration;
  let learnerLtik: string;
  let teacherLtik: string;

  const launch = (sub: string) => launchLtik(lms, registration, sub, 'course-f');
  const post = (path: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(`${sello.url}${path}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', ...headers },
      body: new URLSearchParams(fields).toString(),
    });
  /** The form of `html` that posts to `action`. */
  const formTo = (html: string, action: string) => parseForm([...html.matchAll(/<form\b[^>]*>[\s\S]*?<\/form>/g)].map((m) => m[0]).find((f) => f.includes(`action="${action}"`))!);
  const pageOf = async (path: string) => (await fetch(`${sello.url}${path}`)).text();

  beforeAll(async () => {
    lms = await startSandboxLms({ productFamily: 'moodle' });
    sello = await startTestSello({ env: { LTI_DYNREG_AUTO_APPROVE: 'true' } });
    lms.addUser({ sub: 'prof-f', name: 'Profesora', locale: 'es' });
    lms.addUser({ sub: 'leo-f', name: 'Leo', locale: 'en' });
    lms.addCourse({ id: 'course-f', title: 'Física' });
    lms.enroll('course-f', 'prof-f', [ROLE.instructor]);
    lms.enroll('course-f', 'leo-f', [ROLE.learner]);
    registration = await registerSello(lms, sello.url);
    teacherLtik = await launch('prof-f');
    learnerLtik = await launch('leo-f');
  }, 120_000);
  afterAll(async () => {
    await sello?.close();
    await lms?.close();
  });

  it('puts a token bound to the ltik in every form that posts to Sello, and accepts the form as the page sends it', async () => {
    const home = await pageOf(`/app/learner?ltik=${learnerLtik}`);
    const privacy = formTo(home, '/app/learner/privacy');
    expect(privacy.fields._csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(privacy.fields.ltik).toBe(learnerLtik);
    // Another page of the same session carries the same token; another session's differs.
    const editor = await pageOf(`/app/achievements/new?ltik=${teacherLtik}`);
    const teacherToken = parseForm(editor).fields._csrf;
    expect(teacherToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(teacherToken).not.toBe(privacy.fields._csrf);
    const sent = await post(privacy.action, { ...privacy.fields }, { origin: new URL(sello.url).origin, 'sec-fetch-site': 'same-origin' });
    expect(sent.status).toBe(200);
  });

  it("refuses a learner's form without the token, with another session's, or sent from another site: 403 csrf_failed, and nothing changes", async () => {
    const users = createUserRepository(sello.db);
    const leo = (await sello.db.query<{ id: string }>(`SELECT id FROM users WHERE sub = 'leo-f'`)).rows[0]!.id;
    const before = (await users.findById(leo))!.showNamePublicly;
    const token = formTo(await pageOf(`/app/learner?ltik=${learnerLtik}`), '/app/learner/privacy').fields._csrf!;
    const teacherToken = parseForm(await pageOf(`/app/achievements/new?ltik=${teacherLtik}`)).fields._csrf!;

    // A page on another site that posts the form at the learner's Sello: no token to give.
    const forged = await post('/app/learner/privacy', { ltik: learnerLtik }, { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' });
    expect(forged.status).toBe(403);
    const page = decodeHtml(await forged.text());
    expect(page).toContain('This form could not be accepted');
    expect(page).toContain('csrf_failed');

    const json = await post('/app/learner/privacy', { ltik: learnerLtik }, { accept: 'application/json' });
    expect(json.status).toBe(403);
    expect(((await json.json()) as { code: string }).code).toBe('csrf_failed');

    expect((await post('/app/learner/privacy', { ltik: learnerLtik, _csrf: teacherToken })).status).toBe(403);
    expect((await post('/app/learner/privacy', { ltik: learnerLtik, _csrf: `${token.slice(0, -1)}A` === token ? `${token.slice(0, -1)}B` : `${token.slice(0, -1)}A` })).status).toBe(403);
    // The right token does not make a post from another site acceptable (defence in depth).
    expect((await post('/app/learner/privacy', { ltik: learnerLtik, _csrf: token }, { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect((await post('/app/learner/privacy', { ltik: learnerLtik, _csrf: token }, { 'sec-fetch-site': 'same-site' })).status).toBe(403);
    expect((await post('/app/learner/privacy', { ltik: learnerLtik, _csrf: token }, { origin: 'https://evil.example' })).status).toBe(403);
    // A text/plain form (what `enctype="text/plain"` sends) is a form too.
    const plain = await fetch(`${sello.url}/app/learner/privacy?ltik=${learnerLtik}`, { method: 'POST', headers: { 'content-type': 'text/plain', accept: 'application/json' }, body: 'showName=on' });
    expect(plain.status).toBe(403);
    expect((await users.findById(leo))!.showNamePublicly).toBe(before);
  });

  it("refuses an instructor's form without the token, in the page's language, and creates nothing", async () => {
    const platform = (await createPlatformRepository(sello.db).findByIssuerAndClient(lms.issuer, registration.clientId))!;
    const context = (await createOutcomeRepository(sello.db).findContextByLmsId(platform.id, 'course-f'))!;
    const fields = { ltik: teacherLtik, name: 'Forged badge', description: 'x', criteria: JSON.stringify({ kind: 'all', rules: [{ kind: 'completion', activity: 'quiz1' }] }), policy: 'keep' };
    const forged = await post('/app/achievements/new', fields, { 'accept-language': 'es', 'sec-fetch-site': 'cross-site' });
    expect(forged.status).toBe(403);
    expect(decodeHtml(await forged.text())).toContain('No se pudo aceptar este formulario');
    const deepLink = await post('/app/deep-link/create', { ltik: teacherLtik, name: 'Forged badge' });
    expect(deepLink.status).toBe(403);
    expect((await createAchievementRepository(sello.db).listForContext(context.id)).map((a) => a.name)).not.toContain('Forged badge');
  });

  it('refuses a form post to the admin API without its bearer token as csrf_failed, and leaves JSON, bearer and LTI posts alone', async () => {
    const adminForm = await post('/admin/api/platforms', { issuer: 'https://evil.example', clientId: 'x' }, { accept: 'application/json', 'sec-fetch-site': 'cross-site' });
    expect(adminForm.status).toBe(403);
    expect(((await adminForm.json()) as { code: string }).code).toBe('csrf_failed');
    // A bearer token is no ambient credential: a cross-site form cannot send one.
    const bearer = await fetch(`${sello.url}/admin/api/platforms`, { headers: { authorization: `Bearer ${sello.adminToken}` } });
    expect(bearer.status).toBe(200);
    const withBearer = await post('/admin/api/platforms', { issuer: 'not a url' }, { accept: 'application/json', authorization: `Bearer ${sello.adminToken}` });
    expect(((await withBearer.json()) as { code: string }).code).not.toBe('csrf_failed');
    // JSON needs a CORS preflight a cross-site page cannot pass: not a form.
    const json = await fetch(`${sello.url}/app/learner/privacy`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ ltik: learnerLtik, showName: 'on' }) });
    expect(json.status).toBe(200);
    // The LMS posts its login and launch from its own site by design: ltijs decides.
    const login = await post('/lti/login', { iss: lms.issuer, login_hint: 'leo-f', target_link_uri: `${sello.url}/lti/launch`, client_id: registration.clientId }, { 'sec-fetch-site': 'cross-site', origin: lms.url });
    expect(login.status).not.toBe(403);
  });
});
