/**
 * The admin pages in Chromium, in English and Spanish: signed in through the form (no
 * JavaScript needed), no sideways scrolling at 360 px, and no serious or critical axe-core
 * violation on any of them (issue 13, "Done when"), forms showing their errors included,
 * nor on an LMS administrator's own settings (/app/admin, from a launch).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startSandboxLms, ROLE, type Sandbox, type ToolRegistration } from '../../src/sandbox-lms/index.ts';
import { createPlatformRepository, type Platform } from '../../src/storage/platform-repository.ts';
import { createBrowser } from '../support/sandbox-lms/browser.ts';
import { startTestSello, type RunningTestSello } from '../support/sandbox-lms/sello.ts';
import { seriousAccessibilityViolations, untranslatedInSpanish } from '../support/page-quality.ts';
import { launchChromium } from '../support/chromium.ts';

const PAGES = ['/admin', '/admin/platforms', '/admin/issuer', '/admin/keys', '/admin/chain', '/admin/queue', '/admin/audit', '/admin/trust-lists'];
const LMS_ADMIN = 'http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator';

describe('admin pages in Chromium', () => {
  let sello: RunningTestSello;
  let lms: Sandbox;
  let registration: ToolRegistration;
  let lmsPlatform: Platform;
  let browser: Browser;
  beforeAll(async () => {
    // A consortium list that cannot be read (no chain here): the page shows its table with the error.
    sello = await startTestSello({ trustLists: ['eip155:31337:0x5FbDB2315678afecb367f032d93F642f64180aa3'] });
    // A platform with long URLs: the kind of text that widens a page.
    await sello.lti.registry.register({
      iss: 'https://moodle.a-rather-long-university-name.example.edu/with/a/long/path',
      clientId: 'client-id-with-many-characters-0123456789abcdef',
      authUrl: 'https://moodle.a-rather-long-university-name.example.edu/mod/lti/auth.php',
      tokenUrl: 'https://moodle.a-rather-long-university-name.example.edu/mod/lti/token.php',
      jwksUrl: 'https://moodle.a-rather-long-university-name.example.edu/mod/lti/certs.php',
      status: 'pending',
      registeredVia: 'dynamic',
    });
    // An LMS whose administrator launches Sello: /app/admin, that platform's own settings.
    lms = await startSandboxLms({ productFamily: 'moodle' });
    lms.addUser({ sub: 'root', name: 'Ana Admin' });
    lms.addCourse({ id: 'course-a', title: 'Álgebra' });
    lms.enroll('course-a', 'root', [LMS_ADMIN, ROLE.instructor]);
    await createBrowser().get(`${sello.url}/lti/register?openid_configuration=${encodeURIComponent(lms.openIdConfigurationUrl())}&registration_token=${lms.newRegistrationToken()}`);
    registration = [...lms.registrations.values()][0]!;
    lmsPlatform = await sello.lti.registry.approve((await createPlatformRepository(sello.db).findByIssuerAndClient(lms.issuer, registration.clientId))!.id, 'test');
    browser = await launchChromium();
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await sello?.close();
    await lms?.close();
  });

  const signIn = async (page: Page) => {
    await page.goto(`${sello.url}/admin/platforms`);
    await page.fill('#admin-token', sello.adminToken);
    await page.click('button[type=submit]');
    await page.waitForURL(`${sello.url}/admin/platforms`);
  };

  it('signs in without JavaScript and shows every page without sideways scrolling, in both languages', async () => {
    for (const locale of ['en-GB', 'es-ES']) {
      const context = await browser.newContext({ viewport: { width: 360, height: 740 }, javaScriptEnabled: false, locale });
      const page = await context.newPage();
      await signIn(page);
      for (const path of [...PAGES, `/admin/platforms/${lmsPlatform.id}`]) {
        await page.goto(`${sello.url}${path}`);
        const overflow = (await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;
        expect(overflow, `${path} ${locale}`).toBeLessThanOrEqual(0);
      }
      await context.close();
    }
  }, 180_000);

  it("has no serious or critical axe-core violation on any admin page, a form showing its errors, or an LMS administrator's settings, in English and Spanish", async () => {
    for (const locale of ['en-GB', 'es-ES']) {
      const spanish = locale === 'es-ES';
      const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, locale });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(`${page.url()}: ${error.message}`));
      const check = async (what: string) => {
        expect(await seriousAccessibilityViolations(page), `axe on ${what} (${locale})`).toEqual([]);
        if (spanish) expect(await untranslatedInSpanish(page, ['Ana Admin']), `untranslated on ${what}`).toEqual([]);
      };
      await page.goto(`${sello.url}/admin/login`);
      await check('/admin/login');
      await signIn(page);
      for (const path of [...PAGES, `/admin/platforms/${lmsPlatform.id}`]) {
        await page.goto(`${sello.url}${path}`);
        await check(path);
      }
      // Errors beside their fields: the issuer profile with a bad URL and e-mail address.
      await page.goto(`${sello.url}/admin/issuer`);
      await page.fill('#issuer-url', 'not a url');
      await page.fill('#issuer-email', 'nobody');
      await page.click('form[action="/admin/issuer"] button[type=submit]');
      await page.waitForSelector('#issuer-url-error');
      await check('/admin/issuer with errors');
      // The platform form with a bad JWKS URL.
      await page.goto(`${sello.url}/admin/platforms`);
      await page.click('#admin-add button[type=submit]');
      await page.waitForSelector('.field-error');
      await check('/admin/platforms with errors');

      // The LMS administrator's launch (its language: the browser's, as the LMS sends no locale here).
      const lmsBrowser = createBrowser();
      const launched = await lmsBrowser.submit(await lmsBrowser.get(lms.initiateLaunch({ clientId: registration.clientId, userSub: 'root', courseId: 'course-a' }).url));
      const ltik = new URL(launched.url).searchParams.get('ltik')!;
      await page.goto(`${sello.url}/app/admin?ltik=${ltik}&lang=${spanish ? 'es' : 'en'}`);
      await check('/app/admin');
      await page.selectOption('#connector-kind', 'canvas');
      await page.fill('#connector-url', 'nope');
      await page.fill('#connector-token', 'abcdefghij');
      await page.click('form[action="/app/admin/connector"] button[type=submit]');
      await page.waitForSelector('#connector-url-error');
      await check('/app/admin with errors');
      expect(errors).toEqual([]);
      await context.close();
    }
  }, 240_000);
});
