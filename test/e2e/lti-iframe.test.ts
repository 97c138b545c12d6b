/**
 * A real browser (Debian's Chromium) running Sello inside the LMS course page on another
 * site, where its cookies do not reach the launch: the LTI platform-storage pages
 * (postMessage to the LMS's storage frame) must complete the launch on their own.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startSandboxLms, ROLE, type Sandbox, type ToolRegistration } from '../../src/sandbox-lms/index.ts';
import { startTestSello, type RunningTestSello } from '../support/sandbox-lms/sello.ts';
import { launchChromium } from '../support/chromium.ts';

describe('Sello in an LMS iframe on another site, in Chromium', () => {
  let lms: Sandbox;
  let sello: RunningTestSello;
  let browser: Browser;
  let registration: ToolRegistration;

  beforeAll(async () => {
    // Sello on 127.0.0.1, the LMS on localhost: two sites, so Sello's cookies are third-party.
    lms = await startSandboxLms({ hostname: 'localhost', productFamily: 'canvas' });
    sello = await startTestSello();
    registration = lms.registerToolManually({ loginUrl: `${sello.url}/lti/login`, launchUrl: `${sello.url}/lti/launch`, jwksUrl: `${sello.url}/lti/keys`, deploymentId: '1' });
    const added = await fetch(`${sello.url}/admin/api/platforms`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sello.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ issuer: lms.issuer, clientId: registration.clientId, authUrl: `${lms.url}/auth`, tokenUrl: `${lms.url}/token`, jwksUrl: `${lms.url}/jwks`, deploymentId: '1' }),
    });
    expect(added.status).toBe(201);
    lms.addUser({ sub: 'learner-iframe', name: 'Iris', locale: 'en' });
    lms.addCourse({ id: 'course-i', title: 'Course in a frame' });
    lms.enroll('course-i', 'learner-iframe', [ROLE.learner]);
    lms.addUser({ sub: 'teacher-iframe', name: 'Tomás', locale: 'es' });
    lms.enroll('course-i', 'teacher-iframe', [ROLE.instructor]);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await sello?.close();
    await lms?.close();
  });

  it('completes the launch through the platform storage frame when the state cookie does not come back', async () => {
    const page = await browser.newPage();
    const launchPosts: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'POST' && request.url() === `${sello.url}/lti/launch`) launchPosts.push(request.postData() ?? '');
    });
    const { url: login } = lms.initiateLaunch({ clientId: registration.clientId, userSub: 'learner-iframe', courseId: 'course-i', storageTarget: 'lti-storage' });
    await page.goto(`${lms.url}/course-page?launch=${encodeURIComponent(login)}`);
    await expect.poll(() => page.frame({ name: 'tool' })?.url() ?? '', { timeout: 40_000 }).toContain('/app/learner');
    const tool = page.frame({ name: 'tool' })!;
    await tool.waitForSelector('h1');
    expect(await tool.textContent('h1')).toBe('My badges');
    // The platform's POST, then the tool page's own POST carrying the storage proof.
    expect(launchPosts).toHaveLength(2);
    expect(launchPosts[1]).toContain('sello_storage_proof=');
    await page.close();
  });

  it('attaches a badge with Deep Linking from the iframe: the picker posts the signed response back and the LMS accepts it', async () => {
    const page = await browser.newPage();
    const { url: login } = lms.initiateLaunch({
      clientId: registration.clientId,
      userSub: 'teacher-iframe',
      courseId: 'course-i',
      messageType: 'LtiDeepLinkingRequest',
      storageTarget: 'lti-storage',
    });
    await page.goto(`${lms.url}/course-page?launch=${encodeURIComponent(login)}`);
    await expect
      .poll(async () => `${page.frame({ name: 'tool' })?.url()} ${await page.frame({ name: 'tool' })?.textContent('body').catch(() => '')}`, { timeout: 40_000 })
      .toContain('/app/deep-link');
    const tool = page.frame({ name: 'tool' })!;
    await tool.waitForSelector('#dl-name');
    expect(await tool.textContent('h1')).toBe('Añadir una insignia a este curso');
    // The form's CSRF token is bound to the ltik, not to a cookie the iframe may not get.
    expect(await tool.locator('form[action="/app/deep-link/create"] input[name="_csrf"]').getAttribute('value')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await page.context().cookies(sello.url)).map((cookie) => cookie.name)).not.toContain('sello_form');
    await tool.fill('#dl-name', 'Insignia en marco');
    await tool.fill('#dl-description', 'Creada dentro del iframe');
    await tool.click('form[action="/app/deep-link/create"] button[type="submit"]');
    await expect.poll(() => page.frame({ name: 'tool' })?.url() ?? '', { timeout: 40_000 }).toContain('/deep-link-return');
    expect(await page.frame({ name: 'tool' })!.textContent('body')).toContain('Content added');
    expect(lms.deepLinkReturns.at(-1)!.items[0]).toMatchObject({ title: 'Insignia en marco', lineItem: { label: 'Insignia: Insignia en marco', scoreMaximum: 100 } });
    await page.close();
  });

  it('runs the LMS pages under their Content-Security-Policy without a violation, and lets no other site frame them', async () => {
    const page = await browser.newPage();
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    const { url: login } = lms.initiateLaunch({ clientId: registration.clientId, userSub: 'learner-iframe', courseId: 'course-i', storageTarget: 'lti-storage' });
    await page.goto(`${lms.url}/course-page?launch=${encodeURIComponent(login)}`);
    await expect.poll(() => page.frame({ name: 'tool' })?.url() ?? '', { timeout: 40_000 }).toContain('/app/learner');
    const landed = page.frame({ name: 'tool' })!.url();
    expect(violations).toEqual([]);
    // The same page inside a site that is no platform of Sello's: the browser refuses it.
    const stranger = http.createServer((_req, res) => res.setHeader('content-type', 'text/html').end(`<!doctype html><iframe name="tool" src="${landed}"></iframe>`));
    await new Promise<void>((resolve) => stranger.listen(0, 'localhost', () => resolve()));
    try {
      await page.goto(`http://localhost:${(stranger.address() as AddressInfo).port}/`);
      await expect.poll(() => violations.join('\n'), { timeout: 20_000 }).toMatch(/frame-ancestors/);
      // A refused frame may keep its name or lose it to Chromium's error page: either way,
      // no frame of the page may show the learner's badges.
      const shown = await Promise.all(page.frames().map((frame) => frame.textContent('body').catch(() => '')));
      expect(shown.join('\n')).not.toContain('My badges');
    } finally {
      stranger.closeAllConnections();
      await new Promise<void>((resolve) => stranger.close(() => resolve()));
      await page.close();
    }
  });

  it('lets an administrator approve a pending platform from the admin page', async () => {
    const pending = await sello.lti.registry.register({
      iss: 'https://moodle.pending.example',
      clientId: 'pending-client',
      authUrl: 'https://moodle.pending.example/mod/lti/auth.php',
      tokenUrl: 'https://moodle.pending.example/mod/lti/token.php',
      jwksUrl: 'https://moodle.pending.example/mod/lti/certs.php',
      status: 'pending',
      registeredVia: 'dynamic',
    });
    const page = await browser.newPage();
    // Signing in sends the browser on to the page it asked for.
    await page.goto(`${sello.url}/admin/platforms`);
    await page.fill('#admin-token', sello.adminToken);
    await page.click('button[type=submit]');
    await page.waitForURL(`${sello.url}/admin/platforms`);
    await page.locator(`#platform-${pending.id}`).getByRole('button', { name: 'Approve' }).click();
    await page.waitForURL(/done=approved/);
    expect((await sello.lti.registry.list()).find((p) => p.id === pending.id)?.status).toBe('active');
    expect(await page.locator(`#platform-${pending.id}`).textContent()).toContain('Active');
    await page.close();
  });
});
