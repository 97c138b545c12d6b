/**
 * The admin pages in Chromium at 360 px, in English and Spanish: signed in through the
 * form (no JavaScript needed), no sideways scrolling on any page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { startTestSello, type RunningTestSello } from '../support/sandbox-lms/sello.ts';

const PAGES = ['/admin', '/admin/platforms', '/admin/issuer', '/admin/keys', '/admin/chain', '/admin/queue', '/admin/audit'];

describe('admin pages at 360 px', () => {
  let sello: RunningTestSello;
  let browser: Browser;
  beforeAll(async () => {
    sello = await startTestSello();
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
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await sello?.close();
  });

  it('signs in without JavaScript and shows every page without sideways scrolling, in both languages', async () => {
    for (const locale of ['en-GB', 'es-ES']) {
      const context = await browser.newContext({ viewport: { width: 360, height: 740 }, javaScriptEnabled: false, locale });
      const page = await context.newPage();
      await page.goto(`${sello.url}/admin/platforms`);
      await page.fill('#admin-token', sello.adminToken);
      await page.click('button[type=submit]');
      await page.waitForURL(`${sello.url}/admin/platforms`);
      for (const path of PAGES) {
        await page.goto(`${sello.url}${path}`);
        const overflow = (await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;
        expect(overflow, `${path} ${locale}`).toBeLessThanOrEqual(0);
      }
      await context.close();
    }
  }, 180_000);
});
