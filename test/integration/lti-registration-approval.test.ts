/**
 * Dynamic Registration needs no login, so nothing it records may give power by itself
 * (issue 10, findings 1 and 2): a configuration naming another origin's issuer is refused,
 * a registration for a known issuer never changes that platform (it waits as a request an
 * administrator approves, audited), an anonymous registration is pending by default, and
 * a one-time invite link is the quick path that approves at once.
 */
import { signInAsAdmin } from '../support/admin-sign-in.ts';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandboxLms, ROLE, type Sandbox } from '../../src/sandbox-lms/index.ts';
import { createBrowser, jsonOf, type Page } from '../support/sandbox-lms/browser.ts';
import { startTestSello, type RunningTestSello } from '../support/sandbox-lms/sello.ts';
import { createPlatformRepository, type Platform } from '../../src/storage/platform-repository.ts';
import { createAuditRepository } from '../../src/storage/audit-repository.ts';
import { manualRegistration } from '../../src/lti/platform-registry.ts';

const codeOf = (page: Page) => /<code>([a-z_]+)<\/code>/.exec(page.text)?.[1];

/**
 * A platform that says what it is told: its openid-configuration names `issuer` and its
 * registration endpoint answers with `clientId` (what an attacker would serve).
 */
async function startPlatformImpostor(): Promise<{
  url: string;
  issuer: string;
  clientId: string;
  registrations: number;
  close(): Promise<void>;
}> {
  const state = { url: '', issuer: '', clientId: 'impostor-client', registrations: 0 };
  const server = http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.method === 'GET' && req.url?.startsWith('/openid')) {
      res.end(
        JSON.stringify({
          issuer: state.issuer,
          authorization_endpoint: `${state.url}/auth`,
          token_endpoint: `${state.url}/token`,
          jwks_uri: `${state.url}/jwks`,
          registration_endpoint: `${state.url}/register`,
          id_token_signing_alg_values_supported: ['RS256'],
          'https://purl.imsglobal.org/spec/lti-platform-configuration': { product_family_code: 'moodle' },
        }),
      );
      return;
    }
    if (req.method === 'POST' && req.url === '/register') {
      state.registrations += 1;
      req.resume();
      req.on('end', () =>
        res.end(JSON.stringify({ client_id: state.clientId, 'https://purl.imsglobal.org/spec/lti-tool-configuration': { deployment_id: '1' } })),
      );
      return;
    }
    res.statusCode = 404;
    res.end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.issuer = state.url;
  return Object.assign(state, { close: () => new Promise<void>((resolve) => server.close(() => resolve())) });
}

const registerUrl = (sello: RunningTestSello, openid: string, extra = '') =>
  `${sello.url}/lti/register?openid_configuration=${encodeURIComponent(openid)}${extra}`;

async function ltijsJwksOf(sello: RunningTestSello, iss: string): Promise<unknown> {
  const { rows } = await sello.db.query<{ key: unknown }>(
    `SELECT doc->'authConfig'->'key' AS key FROM lti_store WHERE collection = 'platform' AND doc->>'platformUrl' = $1`,
    [iss],
  );
  return rows.map((row) => row.key);
}

describe('Dynamic Registration of an LMS Sello already knows', () => {
  let lms: Sandbox;
  let sello: RunningTestSello;
  let impostor: Awaited<ReturnType<typeof startPlatformImpostor>>;
  let known: Platform;

  beforeAll(async () => {
    lms = await startSandboxLms({ productFamily: 'moodle' });
    // Default settings: no auto-approval anywhere.
    sello = await startTestSello();
    impostor = await startPlatformImpostor();
    const registration = lms.registerToolManually({
      loginUrl: `${sello.url}/lti/login`,
      launchUrl: `${sello.url}/lti/launch`,
      jwksUrl: `${sello.url}/lti/keys`,
    });
    known = await sello.lti.registry.register(
      manualRegistration(
        {
          issuer: lms.issuer,
          clientId: registration.clientId,
          authUrl: `${lms.url}/auth`,
          tokenUrl: `${lms.url}/token`,
          jwksUrl: `${lms.url}/jwks`,
          deploymentId: registration.deploymentId,
        },
        'manual',
      ),
    );
    lms.addUser({ sub: 'teacher-1' });
    lms.addCourse({ id: 'course-a', title: 'Course A' });
    lms.enroll('course-a', 'teacher-1', [ROLE.instructor]);
  });
  afterAll(async () => {
    await impostor?.close();
    await sello?.close();
    await lms?.close();
  });

  it("refuses a configuration that names another origin's issuer, and leaves the active platform as it was", async () => {
    // Same host as the LMS, another port: the old "same site" guard let this through.
    impostor.issuer = lms.issuer;
    impostor.clientId = known.clientId;
    const page = await createBrowser().get(registerUrl(sello, `${impostor.url}/openid`));
    // Anonymous callers get one answer for every failed target (issue 10, finding 3); the admin sees why.
    expect(page.status).toBe(400);
    expect(codeOf(page)).toBe('lti_registration_failed');
    expect(sello.lti.registrationFailures.list()[0]).toMatchObject({ code: 'invalid_openid_configuration' });
    expect(impostor.registrations).toBe(0);
    expect(await createPlatformRepository(sello.db).findById(known.id)).toMatchObject({
      status: 'active',
      jwksUrl: `${lms.url}/jwks`,
      authUrl: `${lms.url}/auth`,
      registeredVia: 'manual',
    });
    expect(await ltijsJwksOf(sello, lms.issuer)).toEqual([`${lms.url}/jwks`]);
    // The LMS still launches Sello with its own keys.
    const browser = createBrowser();
    const landed = await browser.submit(await browser.get(lms.initiateLaunch({ clientId: known.clientId, userSub: 'teacher-1', courseId: 'course-a' }).url));
    expect(new URL(landed.url).pathname).toBe('/app/instructor');
  });

  it('files a registration for a known issuer as a pending request that changes nothing', async () => {
    impostor.issuer = impostor.url;
    impostor.clientId = 'client-1';
    const original = await sello.lti.registry.register(
      manualRegistration(
        { issuer: impostor.url, clientId: 'client-1', authUrl: `${impostor.url}/old-auth`, tokenUrl: `${impostor.url}/old-token`, jwksUrl: `${impostor.url}/old-jwks` },
        'manual',
      ),
    );
    const page = await createBrowser().get(registerUrl(sello, `${impostor.url}/openid`));
    expect(page.status).toBe(200);
    expect(page.text).toContain('already knows this LMS');
    expect(page.text).toContain('<script src="/static/js/lti-registered.js"></script>');
    expect((await createBrowser().get(`${sello.url}/static/js/lti-registered.js`)).text).toContain('org.imsglobal.lti.close');
    expect(await createPlatformRepository(sello.db).findById(original.id)).toMatchObject({
      status: 'active',
      jwksUrl: `${impostor.url}/old-jwks`,
      authUrl: `${impostor.url}/old-auth`,
      registeredVia: 'manual',
    });
    expect(await ltijsJwksOf(sello, impostor.url)).toEqual([`${impostor.url}/old-jwks`]);
    const listed = await jsonOf(await fetch(`${sello.url}/admin/api/platforms`, { headers: { authorization: `Bearer ${sello.adminToken}` } }));
    expect(listed.requests).toEqual([
      expect.objectContaining({ iss: impostor.url, clientId: 'client-1', jwksUrl: `${impostor.url}/jwks`, replacesPlatformId: original.id, status: 'pending' }),
    ]);
  });

  it("replaces the platform's endpoints when an administrator approves the request, keeping its id, and audits it", async () => {
    const [platformBefore] = await createPlatformRepository(sello.db).listByIssuer(impostor.url);
    const listed = await jsonOf(await fetch(`${sello.url}/admin/api/platforms`, { headers: { authorization: `Bearer ${sello.adminToken}` } }));
    const requestId = listed.requests[0].id as string;
    const anonymous = await fetch(`${sello.url}/admin/api/platforms/${requestId}/approve`, { method: 'POST', headers: { accept: 'application/json' } });
    expect(anonymous.status).toBe(401);
    const approved = await fetch(`${sello.url}/admin/api/platforms/${requestId}/approve`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sello.adminToken}`, accept: 'application/json' },
    });
    expect(approved.status).toBe(200);
    expect((await jsonOf(approved)).platform).toMatchObject({ id: platformBefore!.id, status: 'active', jwksUrl: `${impostor.url}/jwks` });
    expect(await ltijsJwksOf(sello, impostor.url)).toEqual([`${impostor.url}/jwks`]);
    const audit = await createAuditRepository(sello.db).listForSubject(platformBefore!.id);
    expect(audit.map((entry) => entry.action)).toContain('platform.replaced');
    expect(audit.find((entry) => entry.action === 'platform.replaced')!.details).toMatchObject({
      request: requestId,
      replaced: { jwksUrl: `${impostor.url}/old-jwks` },
      now: { jwksUrl: `${impostor.url}/jwks` },
    });
    const again = await fetch(`${sello.url}/admin/api/platforms/${requestId}/approve`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sello.adminToken}`, accept: 'application/json' },
    });
    expect(again.status).toBe(404);
  });

  it('drops a rejected request and leaves the platform as it is', async () => {
    impostor.clientId = 'client-1';
    await createBrowser().get(registerUrl(sello, `${impostor.url}/openid`));
    const { requests } = await jsonOf(await fetch(`${sello.url}/admin/api/platforms`, { headers: { authorization: `Bearer ${sello.adminToken}` } }));
    expect(requests).toHaveLength(1);
    const rejected = await fetch(`${sello.url}/admin/api/platforms/${requests[0].id}/reject`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sello.adminToken}`, accept: 'application/json' },
    });
    expect((await jsonOf(rejected)).request.status).toBe('rejected');
    const after = await jsonOf(await fetch(`${sello.url}/admin/api/platforms`, { headers: { authorization: `Bearer ${sello.adminToken}` } }));
    expect(after.requests).toEqual([]);
  });
});

describe('re-registering a known LMS through a one-time invite link', () => {
  let sello: RunningTestSello;
  let impostor: Awaited<ReturnType<typeof startPlatformImpostor>>;

  beforeAll(async () => {
    sello = await startTestSello();
    impostor = await startPlatformImpostor();
  });
  afterAll(async () => {
    await impostor?.close();
    await sello?.close();
  });

  it('replaces the known registration at once, as the administrator who made the link approved it', async () => {
    const original = await sello.lti.registry.register(
      manualRegistration(
        { issuer: impostor.url, clientId: 'client-9', authUrl: `${impostor.url}/old-auth`, tokenUrl: `${impostor.url}/old-token`, jwksUrl: `${impostor.url}/old-jwks` },
        'manual',
      ),
    );
    impostor.clientId = 'client-9';
    const { invite } = await jsonOf(
      await fetch(`${sello.url}/admin/api/platforms/invites`, {
        method: 'POST',
        headers: { authorization: `Bearer ${sello.adminToken}`, 'content-type': 'application/json' },
        body: '{}',
      }),
    );
    const page = await createBrowser().get(`${invite.url}&openid_configuration=${encodeURIComponent(`${impostor.url}/openid`)}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('It is active');
    expect(await createPlatformRepository(sello.db).findById(original.id)).toMatchObject({ status: 'active', jwksUrl: `${impostor.url}/jwks` });
    const replaced = (await createAuditRepository(sello.db).listForSubject(original.id)).find((entry) => entry.action === 'platform.replaced');
    expect(replaced?.actor).toBe(`invite:${invite.id}`);
    expect(await sello.lti.registry.listRequests()).toEqual([]);
  });
});

describe('registering a new LMS: pending by default, active through a one-time invite link', () => {
  let lms: Sandbox;
  let sello: RunningTestSello;
  const admin = (init: RequestInit = {}) => ({
    ...init,
    headers: { authorization: `Bearer ${sello.adminToken}`, 'content-type': 'application/json', accept: 'application/json' },
  });
  const makeInvite = async (body: unknown = {}) => {
    const answer = await fetch(`${sello.url}/admin/api/platforms/invites`, admin({ method: 'POST', body: JSON.stringify(body) }));
    expect(answer.status).toBe(201);
    return (await jsonOf(answer)).invite as { id: string; url: string; expiresAt: string };
  };
  const viaInvite = (inviteUrl: string) =>
    `${inviteUrl}&openid_configuration=${encodeURIComponent(lms.openIdConfigurationUrl())}&registration_token=${lms.newRegistrationToken()}`;

  beforeAll(async () => {
    lms = await startSandboxLms({ productFamily: 'moodle' });
    sello = await startTestSello();
  });
  afterAll(async () => {
    await sello?.close();
    await lms?.close();
  });

  it('leaves an anonymous registration pending on the default settings', async () => {
    const page = await createBrowser().get(registerUrl(sello, lms.openIdConfigurationUrl(), `&registration_token=${lms.newRegistrationToken()}`));
    expect(page.status).toBe(200);
    expect(page.text).toContain('waits for approval');
    const [platform] = await createPlatformRepository(sello.db).list();
    expect(platform).toMatchObject({ status: 'pending', registeredVia: 'dynamic' });
    await sello.db.query('DELETE FROM platforms');
    await sello.db.query(`DELETE FROM lti_store WHERE collection IN ('platform', 'privatekey', 'publickey')`);
  });

  it('approves at once a registration through a one-time invite link, and refuses the link the second time', async () => {
    const invite = await makeInvite();
    expect(invite.url).toMatch(new RegExp(`^${sello.url}/lti/register\\?invite=[A-Za-z0-9_-]{32}$`));
    expect(new Date(invite.expiresAt).getTime() - Date.now()).toBeGreaterThan(23 * 3600_000);
    const page = await createBrowser().get(viaInvite(invite.url));
    expect(page.status).toBe(200);
    expect(page.text).toContain('It is active');
    const [platform] = await createPlatformRepository(sello.db).list();
    expect(platform).toMatchObject({ status: 'active', registeredVia: 'dynamic' });

    const reused = await createBrowser().get(viaInvite(invite.url));
    expect(reused.status).toBe(400);
    expect(codeOf(reused)).toBe('lti_invite_invalid');
    expect(await createPlatformRepository(sello.db).list()).toHaveLength(1);
    const { rows } = await sello.db.query<{ token_hash: string; used_at: Date | null; platform_id: string }>(
      'SELECT token_hash, used_at, platform_id FROM lti_registration_invites WHERE id = $1',
      [invite.id],
    );
    // Stored hashed: the database does not hold a usable link.
    expect(rows[0]!.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(invite.url).not.toContain(rows[0]!.token_hash);
    expect(rows[0]).toMatchObject({ used_at: expect.any(Date), platform_id: platform!.id });
  });

  it('refuses an expired or made-up invite before asking the LMS anything', async () => {
    const invite = await makeInvite({ hours: 1 });
    await sello.db.query(`UPDATE lti_registration_invites SET expires_at = now() - interval '1 second' WHERE id = $1`, [invite.id]);
    const before = lms.registrations.size;
    for (const url of [invite.url, `${sello.url}/lti/register?invite=made-up-token-0123456789abcdef`]) {
      const page = await createBrowser().get(viaInvite(url));
      expect(page.status).toBe(400);
      expect(codeOf(page)).toBe('lti_invite_invalid');
    }
    expect(lms.registrations.size).toBe(before);
  });

  it('lets only one of two registrations racing with one invite be approved by it', async () => {
    const other = await startSandboxLms({ productFamily: 'canvas' });
    try {
      const invite = await makeInvite();
      const race = () =>
        createBrowser().get(`${invite.url}&openid_configuration=${encodeURIComponent(other.openIdConfigurationUrl())}&registration_token=${other.newRegistrationToken()}`);
      const pages = await Promise.all([race(), race()]);
      expect(pages.map((page) => page.status)).toEqual([200, 200]);
      // The loser is never active: a pending platform, a request when the winner made the
      // issuer known first, or a disabled platform when the invite's winner replaced it.
      const statuses = (await createPlatformRepository(sello.db).listByIssuer(other.issuer)).map((p) => p.status);
      const requests = (await sello.lti.registry.listRequests()).filter((r) => r.iss === other.issuer);
      expect(statuses.filter((status) => status === 'active')).toHaveLength(1);
      expect(statuses.filter((status) => status !== 'active').length + requests.length).toBe(1);
    } finally {
      await other.close();
    }
  });

  it('offers the registration link and the waiting registrations on the admin page, in Spanish too', async () => {
    // The page takes the admin session (a cookie the sign-in form answers), never the token in a URL.
    const signIn = await signInAsAdmin(sello.url, sello.adminToken, '/admin/platforms');
    expect(signIn.status).toBe(303);
    const cookie = signIn.cookie;
    const page = await fetch(`${sello.url}/admin/platforms`, { headers: { cookie } });
    expect(page.status).toBe(200);
    const html = await page.text();
    // A plain form: the link is made without JavaScript, and the page has no script at all.
    expect(html).toMatch(/<form method="post" action="\/admin\/platforms\/invite">/);
    expect(html).toContain('id="admin-invite"');
    expect(html).not.toContain('<script');
    expect(html).toContain('id="requests"');
    const spanish = await (await fetch(`${sello.url}/admin/platforms?lang=es`, { headers: { cookie } })).text();
    expect(spanish).toContain('Crear un enlace de registro');
  });

  it('refuses invites that last longer than 30 days or less than nothing', async () => {
    for (const hours of [24 * 31, -1]) {
      const answer = await fetch(`${sello.url}/admin/api/platforms/invites`, admin({ method: 'POST', body: JSON.stringify({ hours }) }));
      expect(answer.status).toBe(400);
      expect((await jsonOf(answer)).code).toBe('invalid_invite');
    }
    const anonymous = await fetch(`${sello.url}/admin/api/platforms/invites`, { method: 'POST' });
    expect(anonymous.status).toBe(401);
  });
});
