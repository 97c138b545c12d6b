/**
 * Issue 12 item 8: "Create" in the Deep Linking picker makes a draft that becomes an
 * achievement only when the LMS shows it saved the activity; a cancelled Deep Linking
 * leaves nothing behind, and a second achievement with the same name is flagged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandboxLms, ROLE, type Sandbox, type ToolRegistration } from '../../src/sandbox-lms/index.ts';
import { createBrowser, decodeHtml, parseForm, type Page } from '../support/sandbox-lms/browser.ts';
import { startTestSello, type RunningTestSello } from '../support/sandbox-lms/sello.ts';
import { testKek } from '../support/config.ts';
import { createActivityRefresh, createLaunchSync } from '../../src/issuance/start-issuance.ts';
import { createLogger } from '../../src/logger.ts';
import { createPlatformRepository } from '../../src/storage/platform-repository.ts';
import { createOutcomeRepository } from '../../src/storage/outcome-repository.ts';
import { createAchievementRepository } from '../../src/storage/achievement-repository.ts';
import { createOutboundFetch } from '../../src/outbound/outbound-fetch.ts';
import { ltiFormFields } from '../support/form-token.ts';

/** Sello's outbound client; the fakes listen on 127.0.0.1. */
const outboundFetch = createOutboundFetch({ allowPrivate: true });

describe('Deep Linking drafts', () => {
  let lms: Sandbox;
  let sello: RunningTestSello;
  let registration: ToolRegistration;
  let contextId: string;

  const ltikOf = (page: Page) => new URL(page.url).searchParams.get('ltik') ?? parseForm(page.text).fields.ltik!;
  const openPicker = async () => {
    const browser = createBrowser();
    const picker = await browser.submit(
      await browser.get(lms.initiateLaunch({ clientId: registration.clientId, userSub: 'prof', courseId: 'course-d', messageType: 'LtiDeepLinkingRequest' }).url),
    );
    expect(new URL(picker.url).pathname).toBe('/app/deep-link');
    return { browser, picker };
  };
  const create = async (name: string, extra: Record<string, string> = {}) => {
    const { browser, picker } = await openPicker();
    return { browser, page: await browser.post(`${sello.url}/app/deep-link/create`, { ...ltiFormFields(ltikOf(picker)), name, description: 'Ética profesional', ...extra }) };
  };
  const instructorHome = async () => {
    const browser = createBrowser();
    return browser.submit(await browser.get(lms.initiateLaunch({ clientId: registration.clientId, userSub: 'prof', courseId: 'course-d' }).url));
  };
  const rowsNamed = async (name: string) =>
    (await sello.db.query<{ id: string; confirmed: boolean }>('SELECT id, confirmed_at IS NOT NULL AS confirmed FROM achievements WHERE name = $1', [name])).rows;

  beforeAll(async () => {
    lms = await startSandboxLms({ productFamily: 'moodle' });
    sello = await startTestSello({
      env: { LTI_DYNREG_AUTO_APPROVE: 'true' },
      onLaunch: ({ db, lti }) =>
        createLaunchSync({ db, log: createLogger({ level: 'silent' }), refreshActivities: createActivityRefresh({ db, kek: testKek, ltiServices: lti.services, fetch: outboundFetch }), syncNow: async () => {} }),
    });
    lms.addUser({ sub: 'prof', name: 'Profesora', locale: 'en' });
    lms.addCourse({ id: 'course-d', title: 'Ética' });
    lms.enroll('course-d', 'prof', [ROLE.instructor]);
    await createBrowser().get(`${sello.url}/lti/register?openid_configuration=${encodeURIComponent(lms.openIdConfigurationUrl())}&registration_token=${lms.newRegistrationToken()}`);
    registration = [...lms.registrations.values()][0]!;
    const platform = (await createPlatformRepository(sello.db).findByIssuerAndClient(lms.issuer, registration.clientId))!;
    await instructorHome();
    contextId = (await createOutcomeRepository(sello.db).findContextByLmsId(platform.id, 'course-d'))!.id;
  }, 60_000);
  afterAll(async () => {
    await sello?.close();
    await lms?.close();
  });

  it('leaves no achievement when the instructor cancels in the LMS after "Create"', async () => {
    const { page } = await create('Ética aplicada');
    expect(parseForm(page.text).action).toContain('/deep-link-return');
    // The instructor cancels: the LMS never gets the response and never saves the activity.
    const [draft] = await rowsNamed('Ética aplicada');
    expect(draft).toMatchObject({ confirmed: false });
    expect((await createAchievementRepository(sello.db).listForContext(contextId)).map((a) => a.name)).not.toContain('Ética aplicada');
    expect((await instructorHome()).text).not.toContain('Ética aplicada');
    const publicPage = await fetch(`${sello.url}/achievements/${draft!.id}`);
    expect(publicPage.status).toBe(404);
    await publicPage.body?.cancel();

    // "Create" again with the same name reuses the draft instead of making a duplicate.
    await create('Ética aplicada');
    expect(await rowsNamed('Ética aplicada')).toHaveLength(1);

    // Once the draft is older than a day, the next instructor launch removes it.
    await sello.db.query(`UPDATE achievements SET created_at = now() - interval '25 hours' WHERE id = $1`, [draft!.id]);
    await instructorHome();
    expect(await rowsNamed('Ética aplicada')).toEqual([]);
  });

  it('keeps the achievement once the LMS saved the activity (its line item is in the course)', async () => {
    const { browser, page } = await create('Química verde');
    const saved = await browser.submit(page);
    expect(saved.text).toContain('Content added');
    expect(await rowsNamed('Química verde')).toEqual([expect.objectContaining({ confirmed: false })]);
    const home = await instructorHome();
    expect(await rowsNamed('Química verde')).toEqual([expect.objectContaining({ confirmed: true })]);
    expect(home.text).toContain('Química verde');
  });

  it('flags a second achievement with the same name in the course and offers the existing one', async () => {
    const { page } = await create('química  VERDE');
    expect(page.status).toBe(409);
    const html = decodeHtml(page.text);
    expect(html).toContain('This course already has an achievement named "Química verde"');
    expect(parseForm(page.text, 'use-existing').fields.achievementId).toBe((await rowsNamed('Química verde'))[0]!.id);
    expect(await rowsNamed('química  VERDE')).toEqual([]);

    const { browser, page: insisted } = await create('Química verde', { confirmDuplicate: '1' });
    expect(insisted.status).toBe(200);
    await browser.submit(insisted);
    const home = decodeHtml((await instructorHome()).text);
    expect(await rowsNamed('Química verde')).toHaveLength(2);
    expect(home.match(/Another achievement of this course has the same name/g)).toHaveLength(2);
  });

  it("refuses a badge with no name, too long a name or an image that is not an http(s) URL, and a pick of nothing or of no achievement, in the picker's page", async () => {
    for (const [name, extra, message] of [
      ['   ', {}, 'The achievement needs a name (up to 200 characters).'],
      ['x'.repeat(201), {}, 'The achievement needs a name (up to 200 characters).'],
      ['Óptica', { imageUrl: 'javascript:alert(1)' }, 'The image must be an http(s) URL.'],
    ] as const) {
      const { page } = await create(name, extra);
      expect(page.status, name).toBe(400);
      expect(decodeHtml(page.text)).toContain(message);
    }
    expect(await rowsNamed('Óptica')).toEqual([]);
    const { browser, picker } = await openPicker();
    const nothing = await browser.post(`${sello.url}/app/deep-link`, { ...ltiFormFields(ltikOf(picker)), achievementId: '' });
    expect(nothing.status).toBe(400);
    expect(decodeHtml(nothing.text)).toContain('Choose an achievement first.');
    const unknown = await fetch(`${sello.url}/app/deep-link`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ ...ltiFormFields(ltikOf(picker)), achievementId: '00000000-0000-4000-8000-000000000000' }).toString(),
    });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { code: string }).code).toBe('achievement_not_found');
  });
});
