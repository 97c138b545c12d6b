/**
 * Issue 12 item 10: a trial with an http:// PUBLIC_URL on another site than the LMS.
 * Browsers drop Sello's login-state cookie on the LMS's cross-site form post (SameSite
 * Lax: None needs Secure, Secure needs HTTPS), top-level or not; the page says that and
 * how to fix it instead of blaming the browser and offering a new window that loops.
 * Both on one site (localhost, ports apart) keeps working.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandboxLms, ROLE, type Sandbox, type ToolRegistration } from '../../src/sandbox-lms/index.ts';
import { createBrowser, decodeHtml } from '../support/sandbox-lms/browser.ts';
import { startTestSello, type RunningTestSello } from '../support/sandbox-lms/sello.ts';
import { plainHttpCrossSite } from '../../src/lti/oidc-routes.ts';

async function install(lms: Sandbox, sello: RunningTestSello): Promise<ToolRegistration> {
  lms.addUser({ sub: 'prof', name: 'Profesora', locale: 'en' });
  lms.addCourse({ id: 'course-h', title: 'Trial' });
  lms.enroll('course-h', 'prof', [ROLE.instructor]);
  await createBrowser().get(`${sello.url}/lti/register?openid_configuration=${encodeURIComponent(lms.openIdConfigurationUrl())}&registration_token=${lms.newRegistrationToken()}`);
  return [...lms.registrations.values()][0]!;
}

describe('plain-http trials', () => {
  it('knows which set-ups lose the cookie: http on another site, not https, not one localhost', () => {
    expect(plainHttpCrossSite('http://sello.example.org:3000', 'https://moodle.uni.edu')).toBe(true);
    expect(plainHttpCrossSite('http://192.168.1.20:3000', 'http://moodle.local')).toBe(true);
    expect(plainHttpCrossSite('http://127.0.0.1:3000', 'http://localhost:8080')).toBe(true);
    expect(plainHttpCrossSite('http://localhost:3000', 'http://localhost:8080')).toBe(false);
    expect(plainHttpCrossSite('http://sello.uni.edu', 'http://moodle.uni.edu')).toBe(false);
    expect(plainHttpCrossSite('https://sello.example.org', 'https://moodle.uni.edu')).toBe(false);
  });

  describe('Sello on http://127.0.0.1, the LMS on http://localhost (two sites)', () => {
    let lms: Sandbox;
    let sello: RunningTestSello;
    let registration: ToolRegistration;
    beforeAll(async () => {
      lms = await startSandboxLms({ productFamily: 'moodle', hostname: 'localhost' });
      sello = await startTestSello({ env: { LTI_DYNREG_AUTO_APPROVE: 'true' } });
      registration = await install(lms, sello);
    }, 60_000);
    afterAll(async () => {
      await sello?.close();
      await lms?.close();
    });

    it('says HTTPS is needed and how to fix it, without a new-window link that would loop', async () => {
      // What a browser does with a SameSite=Lax cookie on a cross-site POST: it is not sent.
      const browser = createBrowser({ blockCookiesFrom: [new URL(sello.url).host] });
      const page = await browser.submit(await browser.get(lms.initiateLaunch({ clientId: registration.clientId, userSub: 'prof', courseId: 'course-h' }).url));
      expect(page.status).toBe(401);
      const html = decodeHtml(page.text);
      expect(html).toContain('Sello needs HTTPS to open from this LMS');
      expect(html).toContain(`Sello is served over plain HTTP (${sello.url}) and the LMS (${lms.url}) is another site`);
      expect(html).toContain('set PUBLIC_URL to its https:// address');
      expect(html).toContain('lti_https_required');
      expect(html).not.toContain('Open in a new window');
      expect(html).not.toContain('blocked Sello');
    });
  });

  describe('Sello and the LMS on one site over http', () => {
    let lms: Sandbox;
    let sello: RunningTestSello;
    let registration: ToolRegistration;
    beforeAll(async () => {
      lms = await startSandboxLms({ productFamily: 'moodle' });
      sello = await startTestSello({ env: { LTI_DYNREG_AUTO_APPROVE: 'true' } });
      registration = await install(lms, sello);
    }, 60_000);
    afterAll(async () => {
      await sello?.close();
      await lms?.close();
    });

    it('launches, and still offers a new window when only the course frame blocks cookies', async () => {
      const browser = createBrowser();
      const landed = await browser.submit(await browser.get(lms.initiateLaunch({ clientId: registration.clientId, userSub: 'prof', courseId: 'course-h' }).url));
      expect(landed.status).toBe(200);
      expect(new URL(landed.url).pathname).toBe('/app/instructor');
      const framed = createBrowser({ blockCookiesFrom: [new URL(sello.url).host] });
      const blocked = await framed.submit(await framed.get(lms.initiateLaunch({ clientId: registration.clientId, userSub: 'prof', courseId: 'course-h' }).url));
      expect(blocked.status).toBe(401);
      expect(blocked.text).toContain('Open in a new window');
    });
  });
});
