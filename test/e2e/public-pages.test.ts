/**
 * Issue 13, the public pages in Chromium at phone widths: the credential page (valid and
 * revoked, English and Spanish) and /verify (before and after verifying a baked PNG) must
 * not scroll sideways at 360 and 390 px. axe-core is not installed in this project, so no
 * accessibility scan runs here (the supertest suites check labels and alt text).
 * Screenshots go to test-results/public-pages/.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { ADMIN, makeCredentialsApp } from '../integration/credentials-fixture.ts';
import { launchChromium } from '../support/chromium.ts';

// The page's own globals, as the callbacks below see them in the browser.
declare const document: { documentElement: { scrollWidth: number } };
declare const innerWidth: number;

const shots = path.resolve(import.meta.dirname, '..', '..', 'test-results', 'public-pages');

describe('the public pages on a phone, in Chromium', () => {
  let t: Awaited<ReturnType<typeof makeCredentialsApp>>;
  let server: http.Server;
  let base: string;
  let browser: Browser;
  let valid: string;
  let revoked: string;
  let png: Buffer;

  beforeAll(async () => {
    fs.mkdirSync(shots, { recursive: true });
    t = await makeCredentialsApp();
    const issue = async (name: string) => {
      const res = await request(t.app)
        .post('/credentials/issue')
        .set('authorization', `Bearer ${ADMIN}`)
        .send({
          options: {
            achievementId: t.achievement.id,
            recipient: { email: 'ana@example.edu', name },
            evidence: [{ id: 'https://uni.example/a/very/long/evidence/path/that/does/not/break/anywhere/0123456789abcdef0123456789abcdef', name: 'Final project' }],
          },
        })
        .expect(201);
      return String(res.body.verifiableCredential.id).replace('urn:uuid:', '');
    };
    valid = await issue('Ana Pérez');
    revoked = await issue('Luis Gómez');
    await request(t.app).post(`/admin/api/credentials/${revoked}/status`).set('authorization', `Bearer ${ADMIN}`).send({ action: 'revoke', reason: 'Issued in error' }).expect(200);
    png = (await request(t.app).get(`/credentials/${valid}/badge.png`).buffer(true).parse((res, done) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => done(null, Buffer.concat(chunks)));
    })).body as Buffer;
    server = http.createServer(t.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
    await t?.close();
  });

  const sideways = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - innerWidth);

  for (const width of [360, 390]) {
    it(`shows the credential page without sideways scrolling at ${width} px, valid and revoked, in English and Spanish`, async () => {
      const page = await browser.newPage({ viewport: { width, height: 800 } });
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      for (const [name, id] of [['valid', valid], ['revoked', revoked]] as const) {
        for (const lang of ['en', 'es']) {
          await page.goto(`${base}/credentials/${id}?lang=${lang}`);
          await page.locator('details.cred-tech summary').click();
          expect(await sideways(page), `${name} ${lang} ${width}px`).toBeLessThanOrEqual(0);
          await page.screenshot({ path: path.join(shots, `credential-${name}-${lang}-${width}.png`), fullPage: true });
        }
      }
      expect(await page.locator('text=Add to LinkedIn profile').count()).toBe(0);
      expect(errors).toEqual([]);
      await page.close();
    });

    it(`verifies a chosen baked PNG on /verify without sideways scrolling at ${width} px`, async () => {
      const page = await browser.newPage({ viewport: { width, height: 800 } });
      await page.goto(`${base}/verify?lang=en`);
      expect(await sideways(page)).toBeLessThanOrEqual(0);
      await page.setInputFiles('#verify-file', { name: 'badge.png', mimeType: 'image/png', buffer: png });
      await page.click('button[type=submit]');
      await page.waitForSelector('.verify-result');
      expect(await page.textContent('.verify-result')).toContain('Verified credential');
      expect(await sideways(page)).toBeLessThanOrEqual(0);
      await page.screenshot({ path: path.join(shots, `verify-png-${width}.png`), fullPage: true });
      await page.close();
    });
  }
});
