/**
 * The demo walked in a real browser (Debian's Chromium), as a newcomer would after
 * `npm start` (issue 13, "Done when"): from `/demo`, the instructor attaches a badge by
 * Deep Linking and sets its criteria, a learner is graded in the demo gradebook, sees the
 * badge, its public page shows every check passing and the institution's name, and the
 * baked PNG downloaded from that page is accepted by `/verify`. Then a Spanish visitor's
 * walk on a 360 px phone, through the demo's Spanish course (no English course data on
 * any of its pages), and the English walk's pages revisited in Spanish. On every page: no
 * serious or critical axe-core violation, no sideways scrolling, no script error or failed
 * load; in Spanish, no catalog key and no English interface word. Screenshots of each
 * step go to test-results/demo-walk/.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startSello, type RunningSello } from '../../src/server.ts';
import { loadConfig } from '../../src/config.ts';
import { makeTempDir } from '../support/config.ts';
import { DEMO_COURSES } from '../../src/web/demo/demo.ts';
import { seriousAccessibilityViolations, sidewaysScroll, untranslatedInSpanish } from '../support/page-quality.ts';
import { freePort } from '../support/free-port.ts';
import { launchChromium } from '../support/chromium.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const shots = path.join(root, 'test-results', 'demo-walk');
/** The institution, as its administrator names it (ISSUER_NAME). */
const INSTITUTION = 'Universidad de Ejemplo';
/** Data of the English demo course (its LMS's and what the walk types): not Sello's interface, allowed when its pages are revisited in Spanish. */
const DEMO_DATA = [DEMO_COURSES.en.title, DEMO_COURSES.en.exam, 'Statistics ready', 'Irene Instructor', 'Passed the final exam of Introduction to Statistics.'];
/** People's names stay as they are in every language ("Instructor" is Irene's family name here). */
const PEOPLE = ['Irene Instructor'];
/** A learner page's link to a badge's public page (through her session, so the page offers her wallet), and to its detail. */
const PUBLIC_LINK = 'a[href^="/app/learner/credentials/"][href*="/public?"]';
const DETAIL_LINK = 'a[href^="/app/learner/credentials/"]:not([href*="/public?"])';
/** The public page's own URL, as anyone with the link opens it. */
const publicUrlOf = (base: string, href: string) => `${base}/credentials/${/^\/app\/learner\/credentials\/([^/?]+)\/public/.exec(href)![1]}`;
/** What a Spanish visitor's walk must never show: the English course's data. */
const ENGLISH_COURSE_DATA = [DEMO_COURSES.en.title, DEMO_COURSES.en.exam, DEMO_COURSES.en.label, 'Statistics ready', 'Introduction to'];

describe('the demo walk in Chromium', () => {
  let sello: RunningSello;
  let browser: Browser;
  let dataDir: string;
  const problems: string[] = [];
  /** Pages the walk visited with a launch: revisited in Spanish at 360 px. */
  const visited: Record<string, string> = {};

  beforeAll(async () => {
    fs.rmSync(shots, { recursive: true, force: true });
    fs.mkdirSync(shots, { recursive: true });
    console.log(`demo walk: screenshots in ${path.relative(root, shots)}/`);
    const port = await freePort();
    dataDir = makeTempDir();
    // npm start's embedded defaults, with the institution's name set as an administrator would.
    const config = loadConfig({ SELLO_DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: `http://127.0.0.1:${port}`, LOG_LEVEL: 'silent', ISSUER_NAME: INSTITUTION });
    const announced: string[] = [];
    sello = await startSello({ config, announce: (line) => announced.push(line) });
    expect(announced).toContain(`Try it: ${sello.url}/demo (a demo LMS inside Sello; DEMO=0 turns it off)`);
    browser = await launchChromium();
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await sello?.close();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const watch = (page: Page) => {
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) problems.push(`${page.url()}: ${message.text()}`);
    });
    page.on('response', (response) => {
      if (response.status() >= 400) problems.push(`${response.status()} ${response.url()}`);
    });
    page.on('pageerror', (error) => problems.push(`${page.url()}: ${error.message}`));
  };
  /**
   * Once the pipeline has signed and posted the demo learner's badge (in the background),
   * the learner launches from the demo LMS and her page lists it: the link to its public page.
   */
  const learnerSeesBadge = async (page: Page, sub: string, badgeName: string) => {
    await expect
      .poll(async () => (await sello.db.query(`SELECT 1 FROM awards a JOIN users u ON u.id = a.user_id WHERE u.sub = $1 AND a.state = 'posted'`, [sub])).rows.length, { timeout: 90_000 })
      .toBe(1);
    await page.click(`#launch-${sub} button`);
    await page.waitForURL(/\/app\/learner\?/);
    const badgeLink = page.locator(PUBLIC_LINK, { hasText: badgeName });
    await expect.poll(() => badgeLink.count()).toBe(1);
    return publicUrlOf(sello.url, (await badgeLink.getAttribute('href'))!);
  };
  /** The quality bar of every page, then its screenshot. */
  const check = async (page: Page, step: string, { spanish = false, spanishCourse = false } = {}) => {
    expect(await seriousAccessibilityViolations(page), `axe on ${step}`).toEqual([]);
    expect(await sidewaysScroll(page), `sideways scroll on ${step}`).toBe(0);
    if (spanish || spanishCourse) {
      expect(await untranslatedInSpanish(page, spanishCourse ? PEOPLE : DEMO_DATA), `untranslated on ${step}`).toEqual([]);
      expect(await page.getAttribute('html', 'lang')).toBe('es');
    }
    if (spanishCourse) {
      const visible = `${await page.title()}\n${await page.innerText('body')}`;
      expect(ENGLISH_COURSE_DATA.filter((data) => visible.includes(data)), `English course data on ${step}`).toEqual([]);
    }
    const title = await page.title();
    expect(title, `title of ${step}`).not.toMatch(/^[a-z]+(\.[a-z_]+)+/);
    await page.screenshot({ path: path.join(shots, `${step}.png`), fullPage: true });
  };

  it('walks the demo: instructor attaches a badge, a learner is graded and sees it, its public page verifies, and /verify accepts its baked PNG', async () => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 }, acceptDownloads: true });
    watch(page);
    await page.goto(`${sello.url}/demo`);
    expect(await page.textContent('.demo-banner')).toContain('This is a demo.');
    expect(await page.title()).toContain('Demo');
    await check(page, '01-demo-page');

    // Instructor, Deep Linking: the picker in Sello, a new badge, back in the LMS's course.
    await page.click('#deep-link button');
    await page.waitForURL(/\/app\/deep-link\?/);
    await page.fill('#dl-name', 'Statistics ready');
    await check(page, '02-deep-linking-picker');
    await page.click('form[action="/app/deep-link/create"] button[type="submit"]');
    await page.waitForURL(/\/demo\?attached=1/, { timeout: 30_000 });
    expect(await page.textContent('main')).toContain('Attached to the course: Statistics ready');
    await check(page, '03-badge-attached');

    // Instructor launch: the course home lists the badge; its criteria name the gradebook column.
    await page.click('#launch-instructor button');
    await page.waitForURL(/\/app\/instructor\?/);
    expect(await page.textContent('main')).toContain('Statistics ready');
    visited.instructorHome = page.url();
    await check(page, '04-instructor-home');
    await page.click('a[href*="/app/achievements/"][href*="/edit"]');
    await page.waitForURL(/\/edit\?/);
    visited.editor = page.url();
    await check(page, '05-achievement-editor');
    await page.fill('#description', 'Passed the final exam of Introduction to Statistics.');
    // The criteria builder: a score of at least 70% in the gradebook column, previewed in words.
    await page.selectOption('#rule-0-kind', 'score');
    const exam = await page.locator('#rule-0-activity option', { hasText: 'Final exam' }).first().getAttribute('value');
    await page.selectOption('#rule-0-activity', exam!);
    await page.fill('#rule-0-threshold', '70');
    await page.waitForSelector('#criteria-preview:has-text("70%")');
    await page.click('#save');
    await page.waitForURL(/saved=1/);
    await check(page, '06-criteria-saved');

    // The demo gradebook: Ana gets 85 on the final exam; Sello reads it at once.
    await page.goto(`${sello.url}/demo`);
    await page.selectOption('#grade-learner', 'demo-ana');
    await page.fill('#grade-score', '85');
    await page.click('#grade button[type="submit"]');
    await page.waitForSelector('p.ok[role="status"]');
    expect(await page.textContent('p.ok[role="status"]')).toContain('Grade saved for Ana García, and Sello has read it.');
    await check(page, '07-grade-saved');

    visited.credential = await learnerSeesBadge(page, 'demo-ana', 'Statistics ready');
    visited.learnerHome = page.url();
    await check(page, '08-learner-sees-badge');
    // Her badges in every course, at /me in the same session.
    await page.click('a[href^="/me?"]');
    await page.waitForURL(/\/me\?/);
    expect(await page.textContent('main')).toContain('Statistics ready');
    visited.learnerMe = page.url();
    await check(page, '08b-learner-me');
    await page.goto(visited.learnerHome);
    const details = page.locator(DETAIL_LINK).first();
    await details.click();
    await page.waitForURL(/\/app\/learner\/credentials\//);
    visited.learnerCredential = page.url();
    await check(page, '09-learner-badge-detail');

    // The public page, as anyone with the link sees it: every check passes once anchored.
    await expect
      .poll(
        async () => {
          await page.goto(visited.credential!);
          return page.locator('.cred-checks li').evaluateAll((items) => items.map((item) => item.className));
        },
        { timeout: 90_000, interval: 2000 },
      )
      .toSatisfy((classes: string[]) => classes.length > 0 && classes.every((c) => c === 'check-ok'));
    const main = (await page.textContent('main')) ?? '';
    expect(main).toContain('Statistics ready');
    expect(main).toContain(INSTITUTION);
    await check(page, '10-public-credential-page');

    // Its baked PNG, downloaded from the page, verified on /verify.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('a[download="badge.png"]')]);
    const png = path.join(shots, 'downloaded-badge.png');
    await download.saveAs(png);
    expect(fs.readFileSync(png).subarray(1, 4).toString()).toBe('PNG');
    await page.goto(`${sello.url}/verify`);
    await check(page, '11-verify-page');
    await page.setInputFiles('#verify-file', png);
    await page.click('.verify-form button[type="submit"]');
    await page.waitForSelector('.verify-result');
    expect(await page.textContent('.verify-result')).toContain('Statistics ready');
    expect(await page.locator('.verify-result .cred-checks li').evaluateAll((items) => items.every((item) => item.className === 'check-ok'))).toBe(true);
    await check(page, '12-verify-accepts-png');

    // The other public pages.
    await page.goto(`${sello.url}/`);
    await check(page, '13-home');
    await page.goto(`${sello.url}/verifier`);
    await check(page, '14-verifier');
    await page.goto(`${sello.url}/admin/platforms`);
    await check(page, '15-admin-platforms');

    expect(problems).toEqual([]);
    await page.close();
  }, 360_000);

  it("walks the demo's Spanish course on a 360 px phone with no English course data, and shows the English walk's pages in Spanish with no untranslated string", async () => {
    expect(visited.credential, 'the walk above ran').toBeDefined();
    const page = await browser.newPage({ viewport: { width: 360, height: 740 }, locale: 'es-ES', acceptDownloads: true });
    watch(page);
    await page.goto(`${sello.url}/demo`);
    expect(await page.textContent('.demo-banner')).toContain('Esto es una demostración.');
    expect(await page.textContent('h1')).toContain(DEMO_COURSES.es.title);
    await check(page, '20-es-360-demo-page', { spanishCourse: true });

    // The Spanish visitor's walk: a badge attached by Deep Linking, its criteria on the Spanish gradebook column.
    await page.click('#deep-link button');
    await page.waitForURL(/\/app\/deep-link\?/);
    await page.fill('#dl-name', 'Estadística superada');
    await check(page, '21-es-360-deep-linking-picker', { spanishCourse: true });
    await page.click('form[action="/app/deep-link/create"] button[type="submit"]');
    await page.waitForURL(/\/demo\?attached=1/, { timeout: 30_000 });
    expect(await page.textContent('main')).toContain('Vinculada al curso: Estadística superada');
    await page.click('#launch-instructor button');
    await page.waitForURL(/\/app\/instructor\?/);
    expect(await page.textContent('main')).toContain(DEMO_COURSES.es.title);
    await check(page, '22-es-360-instructor-home', { spanishCourse: true });
    await page.click('a[href*="/app/achievements/"][href*="/edit"]');
    await page.waitForURL(/\/edit\?/);
    await page.selectOption('#rule-0-kind', 'score');
    const exam = await page.locator('#rule-0-activity option', { hasText: DEMO_COURSES.es.exam }).first().getAttribute('value');
    await page.selectOption('#rule-0-activity', exam!);
    await page.fill('#rule-0-threshold', '70');
    await page.waitForSelector('#criteria-preview:has-text("70")');
    await check(page, '23-es-360-achievement-editor', { spanishCourse: true });
    await page.click('#save');
    await page.waitForURL(/saved=1/);
    await check(page, '24-es-360-criteria-saved', { spanishCourse: true });

    // Carla (no badge from the English walk) gets 90 in "Examen final", then launches.
    await page.goto(`${sello.url}/demo`);
    await page.selectOption('#grade-learner', 'demo-carla');
    await page.fill('#grade-score', '90');
    await page.click('#grade button[type="submit"]');
    await page.waitForSelector('p.ok[role="status"]');
    expect(await page.textContent('p.ok[role="status"]')).toContain('Calificación guardada para Carla Rossi');
    await check(page, '25-es-360-grade-saved', { spanishCourse: true });
    const credential = await learnerSeesBadge(page, 'demo-carla', 'Estadística superada');
    await check(page, '26-es-360-learner-home', { spanishCourse: true });
    await page.click('a[href^="/me?"]');
    await page.waitForURL(/\/me\?/);
    await check(page, '27-es-360-learner-me', { spanishCourse: true });
    await page.goBack();
    await page.locator(DETAIL_LINK).first().click();
    await page.waitForURL(/\/app\/learner\/credentials\//);
    await check(page, '28-es-360-learner-badge-detail', { spanishCourse: true });
    await page.goto(credential);
    expect(await page.textContent('main')).toContain(DEMO_COURSES.es.title);
    await check(page, '29-es-360-public-credential-page', { spanishCourse: true });

    // The English walk's pages, in Spanish: their course data stays English (it is that course's), the interface does not.
    const inSpanish = (url: string) => `${url}${url.includes('?') ? '&' : '?'}lang=es`;
    for (const [name, url] of Object.entries(visited)) {
      await page.goto(inSpanish(url));
      await check(page, `30-es-360-${name}`, { spanish: true });
    }
    await page.goto(`${sello.url}/verify`);
    await check(page, '31-es-360-verify', { spanish: true });
    await page.goto(`${sello.url}/`);
    await check(page, '32-es-360-home', { spanish: true });
    await page.goto(`${sello.url}/verifier`);
    await check(page, '33-es-360-verifier', { spanish: true });
    expect(problems).toEqual([]);
    await page.close();
  }, 300_000);
});
