/**
 * Sello inside an LMS, over real HTTP against the sandbox LMS: Dynamic Registration,
 * instructor launch, Deep Linking accepted by the platform, learner launch, a score the
 * platform accepts and reads back with its comment, the roster across pages.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandboxLms, ROLE, type Sandbox, type ToolRegistration } from '../../src/sandbox-lms/index.ts';
import { createBrowser, parseForm, decodeHtml, type Page, jsonOf } from '../support/sandbox-lms/browser.ts';
import { startTestSello, type RunningTestSello } from '../support/sandbox-lms/sello.ts';
import { createPlatformRepository, type Platform } from '../../src/storage/platform-repository.ts';
import { createContextRepository } from '../../src/storage/context-repository.ts';
import { createEnrollmentRepository } from '../../src/storage/enrollment-repository.ts';
import { createUserRepository } from '../../src/storage/user-repository.ts';
import { createAchievementRepository } from '../../src/storage/achievement-repository.ts';
import { hasCode } from '../../src/errors.ts';
import { syncRoster } from '../../src/lti/sync-roster.ts';
import { ltiFormFields } from '../support/form-token.ts';

const ltikOf = (page: Page) => new URL(page.url).searchParams.get('ltik')!;

/** Another origin, recording the Authorization header of every request it gets. */
async function startRecordingServer() {
  const authorizations: string[] = [];
  const server = http.createServer((req, res) => {
    authorizations.push(req.headers.authorization ?? '');
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"members":[]}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    authorizations,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('Sello in a Moodle-like LMS, end to end', () => {
  let lms: Sandbox;
  let sello: RunningTestSello;
  let registration: ToolRegistration;
  let platform: Platform;
  let deepLinkedResourceLink: string;
  let achievementId: string;
  const waits: number[] = [];

  beforeAll(async () => {
    lms = await startSandboxLms({ productFamily: 'moodle', pageSize: 2 });
    sello = await startTestSello({ env: { LTI_DYNREG_AUTO_APPROVE: 'false' }, sleep: async (ms) => void waits.push(ms) });
    lms.addUser({ sub: 'teacher-1', name: 'Ana Profesora', locale: 'es-CR' });
    lms.addUser({ sub: 'learner-1', name: 'Luis Estudiante', email: 'luis@uni.example', locale: 'es' });
    lms.addCourse({ id: 'course-a', title: 'Química General', label: 'QG-101' });
    lms.enroll('course-a', 'teacher-1', [ROLE.instructor]);
    lms.enroll('course-a', 'learner-1', [ROLE.learner]);
    for (let i = 2; i <= 6; i += 1) {
      lms.addUser({ sub: `learner-${i}` });
      lms.enroll('course-a', `learner-${i}`, [ROLE.learner]);
    }
  });
  afterAll(async () => {
    await sello?.close();
    await lms?.close();
  });

  it('registers through Dynamic Registration and leaves the platform pending until an admin approves it', async () => {
    const browser = createBrowser();
    const token = lms.newRegistrationToken();
    const page = await browser.get(
      `${sello.url}/lti/register?openid_configuration=${encodeURIComponent(lms.openIdConfigurationUrl())}&registration_token=${token}`,
    );
    expect(page.status).toBe(200);
    // The page's script (served from /static: no inline script under the CSP) tells the LMS to close.
    expect(page.text).toContain('<script src="/static/js/lti-registered.js"></script>');
    expect((await browser.get(`${sello.url}/static/js/lti-registered.js`)).text).toContain('org.imsglobal.lti.close');
    expect(lms.registrations.size).toBe(1);
    registration = [...lms.registrations.values()][0]!;
    expect(registration.scopes).toEqual(
      expect.arrayContaining([
        'https://purl.imsglobal.org/spec/lti-ags/scope/lineitem',
        'https://purl.imsglobal.org/spec/lti-ags/scope/score',
        'https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly',
        'https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly',
      ]),
    );
    const found = await createPlatformRepository(sello.db).findByIssuerAndClient(lms.issuer, registration.clientId);
    expect(found).toMatchObject({ status: 'pending', product: 'moodle', registeredVia: 'dynamic', deploymentIds: [registration.deploymentId] });
    platform = found!;

    const refused = await createBrowser().get(lms.initiateLaunch({ clientId: registration.clientId, userSub: 'teacher-1', courseId: 'course-a' }).url);
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('lti_platform_inactive');

    const approved = await fetch(`${sello.url}/admin/api/platforms/${platform.id}/approve`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sello.adminToken}`, accept: 'application/json' },
    });
    expect(approved.status).toBe(200);
    expect((await jsonOf(approved)).platform.status).toBe('active');
  });

  it('launches an instructor into the course home, in Spanish, and records user, course and enrollment', async () => {
    const browser = createBrowser();
    const login = await browser.get(lms.initiateLaunch({ clientId: registration.clientId, userSub: 'teacher-1', courseId: 'course-a' }).url);
    const landed = await browser.submit(login);
    expect(landed.status).toBe(200);
    expect(new URL(landed.url).pathname).toBe('/app/instructor');
    expect(landed.text).toContain('Química General');
    expect(landed.text).toContain('<html lang="es">');

    const context = await createContextRepository(sello.db).findByLmsId(platform.id, 'course-a');
    expect(context).toMatchObject({
      title: 'Química General',
      label: 'QG-101',
      locale: 'es',
      agsLineItemsUrl: `${lms.url}/courses/course-a/lineitems`,
      nrpsUrl: `${lms.url}/courses/course-a/memberships`,
    });
    expect(context!.agsScopes).toContain('https://purl.imsglobal.org/spec/lti-ags/scope/score');
    const user = await createUserRepository(sello.db).findBySub(platform.id, 'teacher-1');
    expect(user).toMatchObject({ name: 'Ana Profesora', email: 'teacher-1@lms.example' });
    const enrollment = await createEnrollmentRepository(sello.db).find(context!.id, user!.id);
    expect(enrollment!.roles).toEqual([ROLE.instructor]);
    expect(sello.launches.at(-1)).toMatchObject({ contextId: context!.id, userId: user!.id, isInstructor: true, locale: 'es' });
  });

  it('keeps the session in every link of the app through the ltik, and refuses a missing or forged one', async () => {
    const browser = createBrowser();
    const landed = await browser.submit(await browser.get(lms.initiateLaunch({ clientId: registration.clientId, userSub: 'teacher-1', courseId: 'course-a' }).url));
    const ltik = ltikOf(landed);
    expect(landed.text).toContain(`/app/achievements/new?ltik=${ltik}`);
    const again = await fetch(`${sello.url}/app/instructor`, { headers: { authorization: `Bearer ${ltik}`, accept: 'application/json' } });
    expect(again.status).toBe(200);
    const none = await fetch(`${sello.url}/app/instructor`, { headers: { accept: 'application/json' } });
    expect(none.status).toBe(401);
    expect((await jsonOf(none)).code).toBe('lti_session_required');
    const forged = await fetch(`${sello.url}/app/instructor?ltik=${ltik.slice(0, -3)}abc`, { headers: { accept: 'application/json' } });
    expect(forged.status).toBe(401);
    expect((await jsonOf(forged)).code).toBe('lti_session_required');
  });

  it('attaches a new achievement with Deep Linking, and the LMS accepts the signed response with its line item', async () => {
    const browser = createBrowser();
    const login = await browser.get(
      lms.initiateLaunch({ clientId: registration.clientId, userSub: 'teacher-1', courseId: 'course-a', messageType: 'LtiDeepLinkingRequest' }).url,
    );
    const picker = await browser.submit(login);
    expect(new URL(picker.url).pathname).toBe('/app/deep-link');
    const emptyName = await browser.post(`${sello.url}/app/deep-link/create`, { ...ltiFormFields(ltikOf(picker)), name: '  ' });
    expect(emptyName.status).toBe(400);
    expect(emptyName.text).toContain('El logro necesita un nombre');

    const returning = await browser.post(`${sello.url}/app/deep-link/create`, {
      ...ltiFormFields(ltikOf(picker)),
      name: 'Laboratorio seguro',
      description: 'Completa las prácticas de laboratorio',
      imageUrl: 'https://uni.example/badge.png',
    });
    expect(returning.status).toBe(200);
    const form = parseForm(returning.text);
    expect(form.action).toBe(`${lms.url}/deep-link-return?course=course-a`);
    const accepted = await browser.submit(returning);
    expect(accepted.status).toBe(200);
    expect(accepted.text).toContain('Content added');

    const item = lms.deepLinkReturns.at(-1)!.items[0]!;
    // A draft until the LMS shows the activity saved (issue 12 item 8): not listed yet.
    achievementId = String((item.custom as { achievement_id: string }).achievement_id);
    expect(await createAchievementRepository(sello.db).findById(achievementId)).toMatchObject({ name: 'Laboratorio seguro', confirmedAt: null });
    expect(item).toMatchObject({
      type: 'ltiResourceLink',
      title: 'Laboratorio seguro',
      url: `${sello.url}/lti/launch`,
      lineItem: { label: 'Insignia: Laboratorio seguro', scoreMaximum: 100, resourceId: achievementId },
      custom: { achievement_id: achievementId },
    });
    expect(lms.deepLinkReturns.at(-1)!.message).toBe('Insignia de Sello añadida: Laboratorio seguro');
    deepLinkedResourceLink = String(item.resourceLinkId);
  });

  it('launches a learner from the badge link, posts a score the LMS accepts and reads it back with its comment', async () => {
    const browser = createBrowser();
    const landed = await browser.submit(
      await browser.get(
        lms.initiateLaunch({
          clientId: registration.clientId,
          userSub: 'learner-1',
          courseId: 'course-a',
          resourceLinkId: deepLinkedResourceLink,
          custom: { achievement_id: achievementId },
        }).url,
      ),
    );
    expect(new URL(landed.url).pathname).toBe('/app/learner');
    expect(landed.text).toContain('Mis insignias');
    // The launch of the link proves the LMS saved the activity: the draft is kept.
    expect((await createAchievementRepository(sello.db).findById(achievementId))!.confirmedAt).toBeInstanceOf(Date);
    const context = (await createContextRepository(sello.db).findByLmsId(platform.id, 'course-a'))!;
    const link = await createAchievementRepository(sello.db).findLink(achievementId, context.id);
    expect(link).toMatchObject({ resourceLinkId: deepLinkedResourceLink, lineItemUrl: expect.stringContaining(`${lms.url}/courses/course-a/lineitems/`) });

    const ags = sello.lti.services.ags(platform.id);
    const comment = 'Insignia obtenida: https://sello.example/credentials/urn:uuid:1';
    await ags.postScore(link!.lineItemUrl!, {
      userId: 'learner-1',
      scoreGiven: 100,
      scoreMaximum: 100,
      activityProgress: 'Completed',
      gradingProgress: 'FullyGraded',
      comment,
      submission: { submissionType: 'online_url', submissionData: 'https://sello.example/credentials/urn:uuid:1' },
    });
    const results = await ags.listResults(link!.lineItemUrl!);
    expect(results).toEqual([expect.objectContaining({ userId: 'learner-1', resultScore: 100, resultMaximum: 100, comment })]);
    const stored = [...lms.results.values()][0]!;
    expect(stored.extensions['https://canvas.instructure.com/lti/submission']).toMatchObject({ submission_type: 'online_url' });
  });

  it('refuses, before sending, a score the LMS would refuse', async () => {
    const ags = sello.lti.services.ags(platform.id);
    const lineItem = [...lms.lineItems.values()][0]!.id;
    const error = await ags
      .postScore(lineItem, { userId: 'learner-1', scoreGiven: 50, scoreMaximum: Number.NaN, activityProgress: 'Completed', gradingProgress: 'FullyGraded' })
      .catch((e: unknown) => e);
    expect(hasCode(error, 'invalid_score')).toBe(true);
    const late = await ags
      .postScore(lineItem, { userId: 'learner-1', scoreGiven: 1, scoreMaximum: 1, activityProgress: 'Completed', gradingProgress: 'FullyGraded', timestamp: '28/11/2026' })
      .catch((e: unknown) => e);
    expect(hasCode(late, 'invalid_score')).toBe(true);
    const notEnrolled = await ags
      .postScore(lineItem, { userId: 'stranger', scoreGiven: 1, scoreMaximum: 1, activityProgress: 'Completed', gradingProgress: 'FullyGraded' })
      .catch((e: unknown) => e);
    expect(hasCode(notEnrolled, 'lti_service_failed')).toBe(true);
  });

  it('reads the whole roster across pages and keeps the differences link', async () => {
    const context = (await createContextRepository(sello.db).findByLmsId(platform.id, 'course-a'))!;
    const before = lms.log.filter((entry) => entry.path === '/courses/course-a/memberships').length;
    const roster = await sello.lti.services.nrps(platform.id).getMembers(context.nrpsUrl!);
    expect(roster.members.map((m) => m.user_id).sort()).toEqual(
      ['learner-1', 'learner-2', 'learner-3', 'learner-4', 'learner-5', 'learner-6', 'teacher-1'].sort(),
    );
    expect(roster.members.find((m) => m.user_id === 'learner-1')).toMatchObject({ name: 'Luis Estudiante', email: 'luis@uni.example' });
    expect(roster.context).toMatchObject({ id: 'course-a', title: 'Química General' });
    expect(roster.differencesUrl).toContain('since=');
    const pages = lms.log.filter((entry) => entry.path === '/courses/course-a/memberships').length - before;
    expect(pages).toBe(4);
  });

  it('brings names, emails and enrollments of learners who never launched from the roster', async () => {
    const context = (await createContextRepository(sello.db).findByLmsId(platform.id, 'course-a'))!;
    const report = await syncRoster({ db: sello.db, services: sello.lti.services, contextId: context.id });
    expect(report).toMatchObject({ members: 7, inactive: 0 });
    const quiet = await createUserRepository(sello.db).findBySub(platform.id, 'learner-5');
    expect(quiet).toMatchObject({ name: 'User learner-5', email: 'learner-5@lms.example' });
    expect((await createEnrollmentRepository(sello.db).find(context.id, quiet!.id))!.roles).toEqual([ROLE.learner]);
  });

  it('lists line items across pages and finds or creates one per achievement', async () => {
    const ags = sello.lti.services.ags(platform.id);
    const url = `${lms.url}/courses/course-a/lineitems`;
    const made = [];
    for (const n of [1, 2, 3]) made.push(await ags.findOrCreateLineItem(url, { label: `Badge: extra ${n}`, scoreMaximum: 100, resourceId: `extra-${n}`, tag: 'sello-badge' }));
    const again = await ags.findOrCreateLineItem(url, { label: 'Badge: extra 2', scoreMaximum: 100, resourceId: 'extra-2', tag: 'sello-badge' });
    expect(again.id).toBe(made[1]!.id);
    const all = await ags.listLineItems(url);
    expect(all).toHaveLength(4);
    expect((await ags.listLineItems(url, { resourceId: achievementId }))[0]!.label).toBe('Insignia: Laboratorio seguro');
  });

  it('retries a busy LMS honouring Retry-After, and refreshes a revoked token once', async () => {
    waits.length = 0;
    {
      lms.failNext(/\/memberships$/, 429, 1, '2');
      lms.failNext(/\/memberships$/, 503, 1);
      const context = (await createContextRepository(sello.db).findByLmsId(platform.id, 'course-a'))!;
      const tokensBefore = lms.tokensIssued;
      lms.revokeTokens();
      const roster = await sello.lti.services.nrps(platform.id).getMembers(context.nrpsUrl!);
      expect(roster.members).toHaveLength(7);
      // One refresh after the 401 of the revoked token.
      expect(lms.tokensIssued).toBe(tokensBefore + 1);
      const statuses = lms.log.filter((e) => e.path === '/courses/course-a/memberships').slice(-7).map((e) => e.status);
      expect(statuses.slice(0, 3)).toEqual([429, 503, 401]);
      expect(waits.slice(0, 2)).toEqual([2000, 500]);
    }
  });

  it('asks the LMS for one new token when several requests meet a revoked one at once', async () => {
    const context = (await createContextRepository(sello.db).findByLmsId(platform.id, 'course-a'))!;
    const nrps = sello.lti.services.nrps(platform.id);
    await nrps.getMembers(context.nrpsUrl!);
    const tokensBefore = lms.tokensIssued;
    lms.revokeTokens();
    const rosters = await Promise.all([1, 2, 3, 4].map(() => nrps.getMembers(context.nrpsUrl!)));
    expect(rosters.map((roster) => roster.members.length)).toEqual([7, 7, 7, 7]);
    expect(lms.tokensIssued).toBe(tokensBefore + 1);
  });

  it('refuses roster and line item pages linked to another origin, and never sends the access token there', async () => {
    const elsewhere = await startRecordingServer();
    const context = (await createContextRepository(sello.db).findByLmsId(platform.id, 'course-a'))!;
    lms.linkOrigin = elsewhere.url;
    try {
      await expect(sello.lti.services.nrps(platform.id).getMembers(context.nrpsUrl!)).rejects.toMatchObject({
        code: 'lti_service_link_refused',
        details: { rel: 'next', linkOrigin: elsewhere.url },
      });
      await expect(sello.lti.services.ags(platform.id).listLineItems(`${lms.url}/courses/course-a/lineitems`)).rejects.toMatchObject({
        code: 'lti_service_link_refused',
        details: { rel: 'next' },
      });
      // One page: no next link, only the differences link, and it leads elsewhere too.
      lms.pageSize = 100;
      await expect(sello.lti.services.nrps(platform.id).getMembers(context.nrpsUrl!)).rejects.toMatchObject({
        code: 'lti_service_link_refused',
        details: { rel: 'differences', linkOrigin: elsewhere.url },
      });
      expect(elsewhere.authorizations).toEqual([]);
    } finally {
      lms.linkOrigin = null;
      lms.pageSize = 2;
      await elsewhere.close();
    }
  });

  it('reads the whole roster when a kept differences link leads to another origin', async () => {
    const elsewhere = await startRecordingServer();
    const contexts = createContextRepository(sello.db);
    const context = (await contexts.findByLmsId(platform.id, 'course-a'))!;
    // As one stored before links were checked.
    await contexts.setNrpsDifferencesUrl(context.id, `${elsewhere.url}/courses/course-a/memberships?since=0`);
    try {
      const report = await syncRoster({ db: sello.db, services: sello.lti.services, contextId: context.id });
      expect(report).toMatchObject({ members: 7, differences: false });
      expect(report.differencesUrl!.startsWith(`${lms.url}/`)).toBe(true);
      expect(elsewhere.authorizations).toEqual([]);
    } finally {
      await elsewhere.close();
    }
  });

  it('saves a learner wallet given as a checksummed address and refuses anything else with a clear message', async () => {
    const browser = createBrowser();
    const landed = await browser.submit(await browser.get(lms.initiateLaunch({ clientId: registration.clientId, userSub: 'learner-2', courseId: 'course-a' }).url));
    const ltik = ltikOf(landed);
    const bad = await browser.post(`${sello.url}/app/learner/wallet`, { ...ltiFormFields(ltik), walletAddress: '0x1234' });
    expect(bad.status).toBe(400);
    expect(decodeHtml(bad.text)).toContain('not a checksummed Ethereum address');
    const badJson = await fetch(`${sello.url}/app/learner/wallet`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ ...ltiFormFields(ltik), walletAddress: '0x52908400098527886E0F7030069857D2e4169EE7' }),
    });
    expect(badJson.status).toBe(400);
    expect((await jsonOf(badJson)).code).toBe('invalid_wallet_address');
    const user = await createUserRepository(sello.db).findBySub(platform.id, 'learner-2');
    expect(user!.walletAddress).toBeNull();
    const lowercase = await browser.post(`${sello.url}/app/learner/wallet`, { ...ltiFormFields(ltik), walletAddress: '0x52908400098527886e0f7030069857d2e4169ee7' });
    expect(lowercase.status).toBe(400);
    const good = await browser.post(`${sello.url}/app/learner/wallet`, { ...ltiFormFields(ltik), walletAddress: '0x52908400098527886E0F7030069857D2E4169EE7' });
    expect(good.status).toBe(200);
    expect((await createUserRepository(sello.db).findBySub(platform.id, 'learner-2'))!.walletAddress).toBe('0x52908400098527886E0F7030069857D2E4169EE7');
  });

  it('completes a launch through the platform storage (lti_storage_target) when cookies are blocked', async () => {
    const sandboxed = createBrowser({ blockCookiesFrom: [new URL(sello.url).host] });
    // Login initiated with a POST form, as Canvas does.
    const initiation = lms.initiateLaunch({ clientId: registration.clientId, userSub: 'learner-4', courseId: 'course-a', storageTarget: '_parent', post: true });
    const put = await sandboxed.post(initiation.url, initiation.form!);
    expect(put.status).toBe(200);
    const data = /id="sello-storage"[^>]*data-key="([^"]+)" data-value="([^"]+)" data-location="([^"]+)"/.exec(put.text)!;
    const platformStorage = new Map([[decodeHtml(data[1]!), decodeHtml(data[2]!)]]);
    const get = await sandboxed.submit(await sandboxed.get(decodeHtml(data[3]!)));
    expect(get.text).toContain('<script src="/static/js/lti-storage-get.js"></script>');
    expect((await sandboxed.get(`${sello.url}/static/js/lti-storage-get.js`)).text).toContain('lti.get_data');
    const key = decodeHtml(/data-key="([^"]+)"/.exec(get.text)![1]!);
    const landed = await sandboxed.submit(get, 'sello-launch', { sello_storage_proof: platformStorage.get(key)! });
    expect(new URL(landed.url).pathname).toBe('/app/learner');
    const forged = await sandboxed.submit(get, 'sello-launch', { sello_storage_proof: 'guess' });
    expect(forged.status).toBe(401);
  });
});
