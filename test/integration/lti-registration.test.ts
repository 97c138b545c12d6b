/**
 * Registration paths and their failures (nothing half-registered), the Canvas
 * configuration, the LTI store, and launches in browsers that block third-party cookies.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandboxLms, ROLE, type Sandbox } from '../../src/sandbox-lms/index.ts';
import { createBrowser, decodeHtml, type Page, jsonOf } from '../support/sandbox-lms/browser.ts';
import { startTestSello, type RunningTestSello } from '../support/sandbox-lms/sello.ts';
import { createPlatformRepository } from '../../src/storage/platform-repository.ts';

const codeOf = (page: Page) => /<code>([a-z_]+)<\/code>/.exec(page.text)?.[1];

/** A server answering every request with `body` (a platform with a broken configuration). */
async function serveJson(body: unknown, status = 200): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('registering platforms', () => {
  let lms: Sandbox;
  let sello: RunningTestSello;
  const storedPlatforms = async () => {
    const { rows } = await sello.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM lti_store WHERE collection = 'platform'`);
    return Number(rows[0]!.n);
  };
  const lastFailure = () => sello.lti.registrationFailures.list()[0];

  beforeAll(async () => {
    lms = await startSandboxLms({ productFamily: 'canvas' });
    sello = await startTestSello({ env: { LTI_DYNREG_AUTO_APPROVE: 'true' } });
  });
  afterAll(async () => {
    await sello?.close();
    await lms?.close();
  });

  it('explains a Dynamic Registration opened without openid_configuration', async () => {
    const page = await createBrowser().get(`${sello.url}/lti/register`);
    expect(page.status).toBe(400);
    expect(codeOf(page)).toBe('invalid_openid_configuration');
  });

  it('refuses a malformed openid_configuration URL and registers nothing', async () => {
    const page = await createBrowser().get(`${sello.url}/lti/register?openid_configuration=not-a-url`);
    // Every failed target gets the same answer (issue 10, finding 3); the reason is kept for the admin.
    expect(page.status).toBe(400);
    expect(codeOf(page)).toBe('lti_registration_failed');
    expect(lastFailure()).toMatchObject({ code: 'invalid_openid_configuration' });
    expect(await storedPlatforms()).toBe(0);
  });

  it('reports an unreachable platform and registers nothing', async () => {
    const gone = await serveJson({});
    await gone.close();
    const page = await createBrowser().get(`${sello.url}/lti/register?openid_configuration=${encodeURIComponent(`${gone.url}/openid`)}`);
    expect(page.status).toBe(400);
    expect(codeOf(page)).toBe('lti_registration_failed');
    expect(lastFailure()).toMatchObject({ code: 'lti_registration_unreachable', reason: expect.stringContaining('ECONNREFUSED') });
    expect(await storedPlatforms()).toBe(0);
    expect(await createPlatformRepository(sello.db).list()).toEqual([]);
  });

  it('refuses a configuration that is not JSON or lacks LTI fields, and registers nothing', async () => {
    const notJson = await serveJson('<html>login</html>');
    const partial = await serveJson({ issuer: 'http://127.0.0.1', authorization_endpoint: 'http://127.0.0.1/auth' });
    try {
      for (const server of [notJson, partial]) {
        const page = await createBrowser().get(`${sello.url}/lti/register?openid_configuration=${encodeURIComponent(`${server.url}/openid`)}`);
        expect(page.status).toBe(400);
        expect(codeOf(page)).toBe('lti_registration_failed');
        expect(lastFailure()).toMatchObject({ code: 'invalid_openid_configuration' });
      }
      expect(await storedPlatforms()).toBe(0);
    } finally {
      await notJson.close();
      await partial.close();
    }
  });

  it('refuses a configuration whose registration endpoint is on another site', async () => {
    const elsewhere = await serveJson({
      issuer: 'http://127.0.0.1',
      authorization_endpoint: 'http://127.0.0.1/auth',
      token_endpoint: 'http://127.0.0.1/token',
      jwks_uri: 'http://127.0.0.1/jwks',
      registration_endpoint: 'https://attacker.example/register',
      'https://purl.imsglobal.org/spec/lti-platform-configuration': { product_family_code: 'moodle' },
    });
    try {
      const page = await createBrowser().get(`${sello.url}/lti/register?openid_configuration=${encodeURIComponent(`${elsewhere.url}/openid`)}`);
      expect(page.status).toBe(400);
      expect(codeOf(page)).toBe('lti_registration_failed');
      expect(lastFailure()).toMatchObject({ code: 'invalid_openid_configuration' });
      expect(await storedPlatforms()).toBe(0);
    } finally {
      await elsewhere.close();
    }
  });

  it('reports a registration the platform refuses (expired registration token) and registers nothing', async () => {
    const page = await createBrowser().get(
      `${sello.url}/lti/register?openid_configuration=${encodeURIComponent(lms.openIdConfigurationUrl())}&registration_token=expired`,
    );
    expect(page.status).toBe(400);
    expect(codeOf(page)).toBe('lti_registration_failed');
    expect(page.text).not.toContain('401');
    expect(lastFailure()).toMatchObject({ code: 'lti_registration_unreachable', reason: expect.stringContaining('401') });
    expect(await storedPlatforms()).toBe(0);
  });

  it('registers a Canvas-like platform at once when auto-approval is on, asking only for scopes it offers', async () => {
    const token = lms.newRegistrationToken();
    const page = await createBrowser().get(
      `${sello.url}/lti/register?openid_configuration=${encodeURIComponent(lms.openIdConfigurationUrl())}&registration_token=${token}`,
    );
    expect(page.status).toBe(200);
    expect(page.text).toContain('<script src="/static/js/lti-registered.js"></script>');
    expect((await createBrowser().get(`${sello.url}/static/js/lti-registered.js`)).text).toContain('org.imsglobal.lti.close');
    const [platform] = await createPlatformRepository(sello.db).list();
    expect(platform).toMatchObject({ status: 'active', product: 'canvas', iss: lms.issuer });
    const body = [...lms.registrations.values()][0]!.body;
    expect(body['https://purl.imsglobal.org/spec/lti-tool-configuration']).toMatchObject({
      domain: new URL(sello.url).host,
      target_link_uri: `${sello.url}/lti/launch`,
      messages: expect.arrayContaining([expect.objectContaining({ type: 'LtiDeepLinkingRequest' })]),
    });
    expect(await storedPlatforms()).toBe(1);
    // ltijs's encrypted documents keep only their index fields in clear.
    const { rows } = await sello.db.query<{ doc: Record<string, unknown> }>(`SELECT doc FROM lti_store WHERE collection = 'privatekey'`);
    expect(rows[0]!.doc).toEqual({ kid: platform!.ltiKid, platformUrl: lms.issuer, clientId: platform!.clientId, iv: expect.any(String), data: expect.any(String), tag: expect.any(String) });
    expect(JSON.stringify(rows[0]!.doc)).not.toContain('PRIVATE KEY');
  });

  it('serves its keys as a JWKS the platform verifies with', async () => {
    const jwks = await jsonOf(await fetch(`${sello.url}/lti/keys`));
    const [platform] = await createPlatformRepository(sello.db).list();
    expect(jwks.keys).toEqual([expect.objectContaining({ kid: platform!.ltiKid, kty: 'RSA', alg: 'RS256', use: 'sig' })]);
  });

  it('serves the Canvas developer-key JSON with course navigation and link/assignment selection placements', async () => {
    const config = await jsonOf(await fetch(`${sello.url}/lti/canvas.json`));
    expect(config).toMatchObject({
      oidc_initiation_url: `${sello.url}/lti/login`,
      target_link_uri: `${sello.url}/lti/launch`,
      public_jwk_url: `${sello.url}/lti/keys`,
    });
    const placements = config.extensions[0].settings.placements.map((p: { placement: string; message_type: string }) => `${p.placement}:${p.message_type}`);
    expect(placements).toEqual([
      'course_navigation:LtiResourceLinkRequest',
      'link_selection:LtiDeepLinkingRequest',
      'assignment_selection:LtiDeepLinkingRequest',
    ]);
    expect(config.scopes).toContain('https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly');
    const icon = await fetch(config.extensions[0].settings.icon_url);
    expect(icon.status).toBe(200);
    expect(icon.headers.get('content-type')).toContain('image/svg+xml');
  });

  it('adds a platform through the admin API only with the admin token and complete, valid fields', async () => {
    const noToken = await fetch(`${sello.url}/admin/api/platforms`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(noToken.status).toBe(401);
    const bad = await fetch(`${sello.url}/admin/api/platforms`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sello.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ issuer: 'moodle.example', clientId: '' }),
    });
    expect(bad.status).toBe(400);
    const error = await jsonOf(bad);
    expect(error.code).toBe('invalid_platform');
    expect(error.details.problems.join(' ')).toContain('issuer');
    expect(await createPlatformRepository(sello.db).list()).toHaveLength(1);
    const list = await fetch(`${sello.url}/admin/api/platforms`, { headers: { authorization: `Bearer ${sello.adminToken}` } });
    expect((await jsonOf(list)).tool).toMatchObject({ register: `${sello.url}/lti/register` });
    const unknown = await fetch(`${sello.url}/admin/api/platforms/00000000-0000-0000-0000-000000000000/approve`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sello.adminToken}`, accept: 'application/json' },
    });
    expect(unknown.status).toBe(404);
    expect((await jsonOf(unknown)).code).toBe('platform_not_found');
  });

  it('shows the admin platforms page with the URLs to paste into an LMS, in Spanish too', async () => {
    // Without the admin session the page asks for the token first, then comes back.
    const browser = createBrowser();
    const login = await browser.get(`${sello.url}/admin/platforms?lang=es`);
    expect(new URL(login.url).pathname).toBe('/admin/login');
    const page = await browser.submit(login, undefined, { token: sello.adminToken });
    expect(page.status).toBe(200);
    expect(new URL(page.url).pathname).toBe('/admin/platforms');
    expect(page.text).toContain('Plataformas LMS');
    expect(page.text).toContain(`${sello.url}/lti/register`);
  });

  it('completes a launch whose cookies the browser blocked, through "open in a new window"', async () => {
    const [platform] = await createPlatformRepository(sello.db).list();
    lms.addUser({ sub: 'learner-safari', locale: 'en-US' });
    lms.addCourse({ id: 'course-c', title: 'Course C' });
    lms.enroll('course-c', 'learner-safari', [ROLE.learner]);
    const iframe = createBrowser({ blockCookiesFrom: [new URL(sello.url).host] });
    const blocked = await iframe.submit(await iframe.get(lms.initiateLaunch({ clientId: platform!.clientId, userSub: 'learner-safari', courseId: 'course-c' }).url));
    expect(blocked.status).toBe(401);
    expect(blocked.text).toContain('Open in a new window');
    const relaunch = decodeHtml(/id="sello-relaunch" href="([^"]+)"/.exec(blocked.text)![1]!);
    // The new window is a first-party context: its cookies work.
    const window = createBrowser();
    const landed = await window.submit(await window.get(relaunch));
    expect(landed.status).toBe(200);
    expect(new URL(landed.url).pathname).toBe('/app/learner');
  });

  it('purges expired ltijs documents on schedule and ignores them before', async () => {
    await sello.db.query(`INSERT INTO lti_store (collection, doc, expires_at) VALUES ('nonce', '{"nonce":"old"}', now() - interval '1 minute')`);
    expect(await sello.lti.store.Get(false, 'nonce', { nonce: 'old' })).toBe(false);
    expect(await sello.lti.store.purgeExpired()).toBeGreaterThanOrEqual(1);
    const { rows } = await sello.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM lti_store WHERE doc->>'nonce' = 'old'`);
    expect(Number(rows[0]!.n)).toBe(0);
  });
});
