/**
 * Issue 14, "Add to wallet" on the public credential page in Chromium, as the recipient
 * reaches it (the link of their learner page, opened in a window of its own): at 360 px
 * without sideways scrolling, with JavaScript off, in English and Spanish; a stranger's
 * browser on the same URL gets no offer. Screenshots go to test-results/public-wallet/.
 */
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startSandboxLms, ROLE, type Sandbox } from '../../src/sandbox-lms/index.ts';
import { createBrowser } from '../support/sandbox-lms/browser.ts';
import { startSelloWithPages, type SelloWithPages } from '../support/issuance/sello-with-pages.ts';
import { createAchievementRepository } from '../../src/storage/achievement-repository.ts';
import { launchChromium } from '../support/chromium.ts';

declare const document: { documentElement: { scrollWidth: number } };
declare const innerWidth: number;

const shots = path.resolve(import.meta.dirname, '..', '..', 'test-results', 'public-wallet');

describe('"Add to wallet" on the public credential page, on a phone, in Chromium', () => {
  let lms: Sandbox;
  let sello: SelloWithPages;
  let browser: Browser;
  let ltik: string;
  let uuid: string;

  beforeAll(async () => {
    fs.mkdirSync(shots, { recursive: true });
    lms = await startSandboxLms({ productFamily: 'moodle' });
    sello = await startSelloWithPages();
    lms.addUser({ sub: 'eva', name: 'Eva Estudiante', email: 'eva@uni.example', locale: 'en' });
    lms.addCourse({ id: 'course-p', title: 'Teléfonos' });
    lms.enroll('course-p', 'eva', [ROLE.learner]);
    await createBrowser().get(`${sello.url}/lti/register?openid_configuration=${encodeURIComponent(lms.openIdConfigurationUrl())}&registration_token=${lms.newRegistrationToken()}`);
    const registration = [...lms.registrations.values()][0]!;
    const lti = createBrowser();
    const launched = await lti.submit(await lti.get(lms.initiateLaunch({ clientId: registration.clientId, userSub: 'eva', courseId: 'course-p' }).url));
    ltik = new URL(launched.url).searchParams.get('ltik')!;
    const evaId = (await sello.db.query<{ id: string }>(`SELECT id FROM users WHERE sub = 'eva'`)).rows[0]!.id;
    const achievement = await createAchievementRepository(sello.db).create({ issuerId: sello.issuerId, name: 'Una insignia con un nombre bastante largo para un teléfono', description: 'Para la billetera.', criteriaNarrative: { en: 'Done.' } });
    const issued = await request(sello.url)
      .post('/credentials/issue')
      .set('authorization', `Bearer ${sello.adminToken}`)
      .send({ options: { achievementId: achievement.id, recipient: { email: 'eva@uni.example', name: 'Eva Estudiante' } } })
      .expect(201);
    const id = String(issued.body.verifiableCredential.id);
    await sello.db.query('UPDATE credentials SET recipient_user_id = $1 WHERE id = $2', [evaId, id]);
    uuid = id.replace('urn:uuid:', '');
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await sello?.close();
    await lms?.close();
  });

  const sideways = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - innerWidth);

  it('shows the recipient both protocols, QR codes and same-device links at 360 px without JavaScript or sideways scrolling, in English and Spanish', async () => {
    const context = await browser.newContext({ viewport: { width: 360, height: 800 }, javaScriptEnabled: false });
    const page = await context.newPage();
    // The learner page's link, opened in a window of its own: it lands on the clean public URL.
    await page.goto(`${sello.url}/app/learner/credentials/${encodeURIComponent(`urn:uuid:${uuid}`)}/public?ltik=${ltik}`);
    expect(page.url()).toBe(`${sello.url}/credentials/${uuid}`);
    for (const [lang, title, vcapiLink, openidLink] of [
      ['en', 'Add to wallet', 'Open in Learner Credential Wallet', 'Open in my wallet app'],
      ['es', 'Añadir a la billetera', 'Abrir en Learner Credential Wallet', 'Abrir en mi app de billetera'],
    ] as const) {
      await page.goto(`${sello.url}/credentials/${uuid}?lang=${lang}`);
      await expect(page.locator('#wallet-title').textContent()).resolves.toBe(title);
      expect(await page.locator('.cred-wallet figure.cred-qr svg').count()).toBe(2);
      expect(await page.getByRole('link', { name: vcapiLink }).getAttribute('href')).toMatch(/^https:\/\/lcw\.app\/request\?request=/);
      expect(await page.getByRole('link', { name: openidLink }).getAttribute('href')).toMatch(/^openid-credential-offer:\/\/\?credential_offer_uri=/);
      expect(await sideways(page), lang).toBeLessThanOrEqual(0);
      const box = await page.locator('.cred-wallet').boundingBox();
      expect(box!.x + box!.width).toBeLessThanOrEqual(360);
      await page.screenshot({ path: path.join(shots, `recipient-${lang}-360.png`), fullPage: true });
    }
    await context.close();
  });

  it("gives a stranger's browser on the same URL no offer, only the line for the recipient", async () => {
    const context = await browser.newContext({ viewport: { width: 360, height: 800 }, javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${sello.url}/credentials/${uuid}?lang=en`);
    expect(await page.locator('.cred-wallet').count()).toBe(0);
    expect(await page.locator('a[href^="openid-credential-offer:"], a[href^="https://lcw.app/"]').count()).toBe(0);
    expect(await page.locator('.cred-wallet-hint').textContent()).toContain('Are you the recipient?');
    expect(await sideways(page)).toBeLessThanOrEqual(0);
    await page.screenshot({ path: path.join(shots, 'stranger-en-360.png'), fullPage: true });
    await context.close();
  });

  it("shows the learner's privacy choice with its checkbox on its label's line, at 360 px and on a desktop", async () => {
    for (const width of [360, 1280]) {
      const page = await browser.newPage({ viewport: { width, height: 800 } });
      await page.goto(`${sello.url}/app/learner?ltik=${ltik}`);
      const box = (await page.locator('#show-name').boundingBox())!;
      const label = (await page.locator('label[for="show-name"]').boundingBox())!;
      // Beside the words it answers, not alone in the middle of a line above them.
      expect(box.width, `${width} px`).toBeLessThan(40);
      expect(box.x - label.x, `${width} px`).toBeLessThan(40);
      expect(box.y + box.height / 2, `${width} px`).toBeGreaterThan(label.y);
      expect(box.y + box.height / 2, `${width} px`).toBeLessThan(label.y + label.height);
      expect(await sideways(page)).toBeLessThanOrEqual(0);
      await page.screenshot({ path: path.join(shots, `learner-privacy-${width}.png`), fullPage: true });
      await page.close();
    }
  });
});
