/**
 * Issue 12 item 7: the language link inside the LMS keeps the LTI session, and the
 * LMS's launch locale wins again at every new launch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandboxLms, ROLE, type Sandbox, type ToolRegistration } from '../../src/sandbox-lms/index.ts';
import { createBrowser, decodeHtml, type Page } from '../support/sandbox-lms/browser.ts';
import { startTestSello, type RunningTestSello } from '../support/sandbox-lms/sello.ts';
import { ltiFormFields } from '../support/form-token.ts';

const languageLink = (page: Page) => {
  const href = /<a class="lang" href="([^"]*)"/.exec(page.text)?.[1];
  if (!href) throw new Error('no language link');
  return new URL(decodeHtml(href), page.url).href;
};

describe('switching language inside the LMS', () => {
  let lms: Sandbox;
  let sello: RunningTestSello;
  let registration: ToolRegistration;

  beforeAll(async () => {
    lms = await startSandboxLms({ productFamily: 'moodle' });
    sello = await startTestSello({ env: { LTI_DYNREG_AUTO_APPROVE: 'true' } });
    lms.addUser({ sub: 'prof', name: 'Profesora', locale: 'es-CR' });
    lms.addCourse({ id: 'course-l', title: 'Historia' });
    lms.enroll('course-l', 'prof', [ROLE.instructor]);
    await createBrowser().get(`${sello.url}/lti/register?openid_configuration=${encodeURIComponent(lms.openIdConfigurationUrl())}&registration_token=${lms.newRegistrationToken()}`);
    registration = [...lms.registrations.values()][0]!;
  }, 60_000);
  afterAll(async () => {
    await sello?.close();
    await lms?.close();
  });

  it('keeps the session when the instructor picks English, and keeps English for the rest of that session', async () => {
    const browser = createBrowser();
    const landed = await browser.submit(await browser.get(lms.initiateLaunch({ clientId: registration.clientId, userSub: 'prof', courseId: 'course-l' }).url));
    expect(landed.text).toContain('<html lang="es">');
    const ltik = new URL(landed.url).searchParams.get('ltik')!;

    const english = await browser.get(languageLink(landed));
    expect(english.status).toBe(200);
    expect(english.text).not.toContain('lti_session_required');
    expect(english.text).toContain('<html lang="en">');
    expect(new URL(english.url).pathname).toBe('/app/instructor');
    // No cookie outlives the session.
    expect(browser.jar.get(new URL(sello.url).host)?.has('sello_lang') ?? false).toBe(false);

    const later = await browser.get(`${sello.url}/app/instructor?ltik=${encodeURIComponent(ltik)}`);
    expect(later.text).toContain('<html lang="en">');
    const back = await browser.get(languageLink(later));
    expect(back.text).toContain('<html lang="es">');
  });

  it('leads the language link of a form answer to a page that exists (the picker, not the POST-only path)', async () => {
    const browser = createBrowser();
    const picker = await browser.submit(
      await browser.get(lms.initiateLaunch({ clientId: registration.clientId, userSub: 'prof', courseId: 'course-l', messageType: 'LtiDeepLinkingRequest' }).url),
    );
    const ltik = new URL(picker.url).searchParams.get('ltik')!;
    const refused = await browser.post(`${sello.url}/app/deep-link/create`, { ...ltiFormFields(ltik), name: ' ' });
    expect(refused.status).toBe(400);
    const switched = await browser.get(new URL(languageLink(refused), refused.url).href);
    expect(switched.status).toBe(200);
    expect(new URL(switched.url).pathname).toBe('/app/deep-link');
    expect(switched.text).toContain('<html lang="en">');
  });

  it("speaks the LMS's language at a new launch, whatever a sello_lang cookie says", async () => {
    const browser = createBrowser();
    browser.jar.set(new URL(sello.url).host, new Map([['sello_lang', 'en']]));
    const landed = await browser.submit(await browser.get(lms.initiateLaunch({ clientId: registration.clientId, userSub: 'prof', courseId: 'course-l' }).url));
    expect(landed.status).toBe(200);
    expect(landed.text).toContain('<html lang="es">');
  });

  it("says in the page's language why Sello could not open a page, under a title in words", async () => {
    const spanish = { accept: 'text/html', 'accept-language': 'es-CR,es;q=0.9' };
    // A bookmarked page without its session, a session link that is not valid, the registration URL opened by hand.
    for (const path of ['/app/learner', '/app/instructor?ltik=not-a-session', '/lti/register']) {
      const res = await fetch(`${sello.url}${path}`, { headers: spanish });
      const html = await res.text();
      expect(res.status, path).toBeGreaterThanOrEqual(400);
      expect(html, path).toContain('<title>Sello no pudo abrir esta página · Sello</title>');
      const message = /<h1>[^<]*<\/h1>\s*<p>([^<]*)<\/p>/.exec(html)?.[1] ?? '';
      expect(message, path).not.toBe('');
      expect(message, path).not.toMatch(/\b(the|your|open|Start|is|not)\b/);
    }
    const english = await fetch(`${sello.url}/app/learner`, { headers: { accept: 'text/html', 'accept-language': 'en' } });
    const html = await english.text();
    expect(html).toContain('<title>Sello could not open this page · Sello</title>');
    expect(html).toContain('<p>Your Sello session has expired or is not valid.</p>');
    // API clients still get the specific English message.
    const json = await fetch(`${sello.url}/app/learner`, { headers: { accept: 'application/json' } });
    expect(await json.json()).toMatchObject({ code: 'lti_session_required', message: 'Open Sello from your course in the LMS to continue' });
  });
});
