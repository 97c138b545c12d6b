/**
 * The demo walked in a real browser (Debian's Chromium), as a newcomer would after
 * `npm start` (issue 13): from `/demo`, add a badge by Deep Linking as the instructor,
 * set its criteria, give a learner a grade in the demo gradebook, launch as the learner
 * and see the badge, open its public page. No page logs an error (a script or style
 * the Content-Security-Policy blocked would). Screenshots go to test-results/demo/.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startSello, type RunningSello } from '../../src/server.ts';
import { loadConfig } from '../../src/config.ts';
import { makeTempDir } from '../support/config.ts';

/** The page's document, inside `page.evaluate` (the tests compile without the DOM library). */
declare const document: { documentElement: { scrollWidth: number; clientWidth: number } };

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const shots = path.join(root, 'test-results', 'demo');

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('the demo in Chromium', () => {
  let sello: RunningSello;
  let browser: Browser;
  let dataDir: string;
  const problems: string[] = [];

  beforeAll(async () => {
    fs.mkdirSync(shots, { recursive: true });
    const port = await freePort();
    dataDir = makeTempDir();
    // npm start's embedded defaults: nothing set but where to listen.
    const config = loadConfig({ SELLO_DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: `http://127.0.0.1:${port}`, LOG_LEVEL: 'silent' });
    sello = await startSello({ config, announce: () => {} });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await sello?.close();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const watch = (page: Page) => {
    page.on('console', (message) => {
      // A failed load is reported below with its URL.
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) problems.push(`${page.url()}: ${message.text()}`);
    });
    // Chromium asks for /favicon.ico by itself (the favicon is another item of issue 13).
    page.on('response', (response) => {
      if (response.status() >= 400 && !response.url().endsWith('/favicon.ico')) problems.push(`${response.status()} ${response.url()}`);
    });
    page.on('pageerror', (error) => problems.push(`${page.url()}: ${error.message}`));
  };
  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });

  it('walks from the demo page: instructor attaches a badge, a learner is graded, sees the badge and its public page', async () => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    watch(page);
    await page.goto(`${sello.url}/demo`);
    expect(await page.textContent('.demo-banner')).toContain('This is a demo.');
    await shot(page, '01-demo-page');

    // Instructor, Deep Linking: the picker in Sello, a new badge, back in the LMS's course.
    await page.click('#deep-link button');
    await page.waitForURL(/\/app\/deep-link\?/);
    await page.fill('#dl-name', 'Statistics ready');
    await shot(page, '02-deep-linking-picker');
    await page.click('form[action="/app/deep-link/create"] button[type="submit"]');
    await page.waitForURL(/\/demo\?attached=1/, { timeout: 30_000 });
    expect(await page.textContent('main')).toContain('Attached to the course: Statistics ready');
    await shot(page, '03-badge-attached');

    // Instructor launch: the course home lists the badge; its criteria name the gradebook column.
    await page.click('#launch-instructor button');
    await page.waitForURL(/\/app\/instructor\?/);
    expect(await page.textContent('main')).toContain('Statistics ready');
    await shot(page, '04-instructor-home');
    await page.click('a[href*="/app/achievements/"][href*="/edit"]');
    await page.waitForURL(/\/edit\?/);
    // The criteria builder: a score of at least 70% in the gradebook column, previewed in words.
    await page.selectOption('#rule-0-kind', 'score');
    const exam = await page.locator('#rule-0-activity option', { hasText: 'Final exam' }).first().getAttribute('value');
    await page.selectOption('#rule-0-activity', exam!);
    await page.fill('#rule-0-threshold', '70');
    await page.waitForSelector('#criteria-preview:has-text("70%")');
    await page.click('#save');
    await page.waitForURL(/saved=1/);
    await shot(page, '05-criteria-saved');

    // The demo gradebook: Ana gets 85 on the final exam; Sello reads it at once.
    await page.goto(`${sello.url}/demo`);
    await page.selectOption('#grade-learner', 'demo-ana');
    await page.fill('#grade-score', '85');
    await page.click('#grade button[type="submit"]');
    await page.waitForSelector('p.ok[role="status"]');
    expect(await page.textContent('p.ok[role="status"]')).toContain('Grade saved for Ana García, and Sello has read it.');
    await shot(page, '06-grade-saved');

    // The pipeline signs and posts the credential in the background: Ana launches once it has.
    await expect
      .poll(async () => (await sello.db.query(`SELECT 1 FROM awards a JOIN users u ON u.id = a.user_id WHERE u.sub = 'demo-ana' AND a.state = 'posted'`)).rows.length, {
        timeout: 60_000,
      })
      .toBe(1);
    await page.click('#launch-demo-ana button');
    await page.waitForURL(/\/app\/learner\?/);
    const badgeLink = page.locator('a[href^="/credentials/"]', { hasText: 'Statistics ready' });
    await expect.poll(() => badgeLink.count()).toBe(1);
    await shot(page, '07-learner-sees-badge');

    // The public page, as anyone with the link sees it.
    await page.goto(`${sello.url}${await badgeLink.getAttribute('href')}`);
    expect(await page.textContent('main')).toContain('Statistics ready');
    await shot(page, '08-public-credential-page');

    expect(problems).toEqual([]);
    await page.close();
  }, 180_000);

  it('shows the demo page in Spanish on a 360 px phone without sideways scrolling or untranslated keys', async () => {
    const page = await browser.newPage({ viewport: { width: 360, height: 740 }, locale: 'es-ES' });
    watch(page);
    await page.goto(`${sello.url}/demo`);
    const text = (await page.textContent('main')) ?? '';
    expect(text).toContain('Esto es una demostración.');
    expect(text).not.toMatch(/\bdemo\.[a-z]/);
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth)).toBe(true);
    await shot(page, '09-demo-page-es-360px');
    expect(problems).toEqual([]);
    await page.close();
  });
});
