/**
 * The admin pages (/admin): signed in with the admin token through a form (never a URL),
 * a session cookie that is not the token, every page in English and Spanish, forms that
 * work without JavaScript with their errors beside the field, and an LMS administrator's
 * launch that reaches its own platform's settings and nothing else.
 */
import { formTokenOf } from '../support/admin-sign-in.ts';
import { ltiFormFields } from '../support/form-token.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandboxLms, ROLE, type Sandbox, type ToolRegistration } from '../../src/sandbox-lms/index.ts';
import { decodeHtml } from '../support/sandbox-lms/browser.ts';
import { launchLtik, registerSello } from '../support/sandbox-lms/launch.ts';
import { startTestSello, type RunningTestSello } from '../support/sandbox-lms/sello.ts';
import { createPlatformRepository, type Platform } from '../../src/storage/platform-repository.ts';
import { createIssuerRepository, DEFAULT_ISSUER_SLUG, defaultIssuerProfile } from '../../src/storage/issuer-repository.ts';
import { createOutcomeSecretRepository } from '../../src/storage/outcome-secret-repository.ts';
import { createJobRepository } from '../../src/storage/job-repository.ts';
import { createAuditRepository } from '../../src/storage/audit-repository.ts';
import { catalogKeys } from '../../src/web/i18n.ts';
import { testSecrets } from '../support/config.ts';
import { PNG } from 'pngjs';

const ADMIN_PAGES = ['/admin', '/admin/platforms', '/admin/issuer', '/admin/keys', '/admin/chain', '/admin/queue', '/admin/audit'];
const LMS_ADMIN = 'http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator';

/** An admin's browser: a cookie jar for Sello's host, redirects by hand. */
function adminBrowser(base: string) {
  const cookies = new Map<string, string>();
  const remember = (res: Response) => {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const value = pair!.slice(eq + 1);
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) cookies.delete(pair!.slice(0, eq));
      else cookies.set(pair!.slice(0, eq), value);
    }
  };
  const header = () => [...cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  let formToken: string | null = null;
  return {
    cookies,
    async get(path: string, headers: Record<string, string> = {}) {
      const res = await fetch(`${base}${path}`, { redirect: 'manual', headers: { cookie: header(), accept: 'text/html', ...headers } });
      remember(res);
      return { status: res.status, location: res.headers.get('location'), html: await res.text(), headers: res.headers };
    },
    async post(path: string, fields: Record<string, string>) {
      // As a browser posts a form it was shown: with the form cookie and the page's form token.
      if (!cookies.has('sello_form') || !formToken) {
        const page = await fetch(`${base}/admin/login`, { redirect: 'manual', headers: { cookie: header() } });
        remember(page);
        formToken = formTokenOf(await page.text());
      }
      const res = await fetch(`${base}${path}`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie: header(), accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ _csrf: formToken ?? '', ...fields }).toString(),
      });
      remember(res);
      return { status: res.status, location: res.headers.get('location'), html: await res.text(), headers: res.headers };
    },
  };
}
type AdminBrowser = ReturnType<typeof adminBrowser>;

const csrfOf = (html: string) => /name="_admin_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
/** The error paragraph a field points at with aria-describedby, and that it follows the field. */
function errorBesideField(html: string, inputId: string): string | null {
  const input = new RegExp(`<(input|select|textarea)[^>]*id="${inputId}"[^>]*>`).exec(html);
  if (!input || !input[0].includes('aria-invalid="true"')) return null;
  const after = html.slice(input.index, input.index + 1500);
  const error = /<p class="field-error" id="([^"]+)">([^<]*)<\/p>/.exec(after);
  if (!error) return null;
  expect(input[0]).toContain(error[1]);
  return decodeHtml(error[2]!);
}

describe('admin pages', () => {
  let lms: Sandbox;
  let sello: RunningTestSello;
  let registration: ToolRegistration;
  let admin: AdminBrowser;
  let lmsPlatform: Platform;

  const signIn = async (browser: AdminBrowser) => {
    const answer = await browser.post('/admin/login', { token: sello.adminToken, next: '/admin' });
    expect(answer.status).toBe(303);
    return answer;
  };
  const launch = (sub: string) => launchLtik(lms, registration, sub, 'course-a');

  beforeAll(async () => {
    lms = await startSandboxLms({ productFamily: 'moodle' });
    sello = await startTestSello();
    lms.addUser({ sub: 'root', name: 'Ana Admin', locale: 'es' });
    lms.addUser({ sub: 'prof', name: 'Profesora' });
    lms.addCourse({ id: 'course-a', title: 'Álgebra' });
    lms.enroll('course-a', 'root', [LMS_ADMIN, ROLE.instructor]);
    lms.enroll('course-a', 'prof', [ROLE.instructor]);
    registration = await registerSello(lms, sello.url);
    // A Dynamic Registration waits for the administrator (as in Moodle); approved here.
    lmsPlatform = await sello.lti.registry.approve((await createPlatformRepository(sello.db).findByIssuerAndClient(lms.issuer, registration.clientId))!.id, 'test');
    admin = adminBrowser(sello.url);
    await signIn(admin);
  }, 120_000);
  afterAll(async () => {
    await sello?.close();
    await lms?.close();
  });

  it('sends a visitor without a session to the sign-in page, and refuses their forms', async () => {
    const stranger = adminBrowser(sello.url);
    for (const path of [...ADMIN_PAGES, `/admin/platforms/${lmsPlatform.id}`, '/admin/trust-lists']) {
      const page = await stranger.get(path);
      expect(page.status, path).toBe(path === '/admin/trust-lists' ? 404 : 303);
      if (page.status === 303) expect(page.location).toBe(`/admin/login?next=${encodeURIComponent(path)}`);
    }
    for (const path of ['/admin/issuer', '/admin/platforms', `/admin/platforms/${lmsPlatform.id}/disable`, '/admin/keys/default/rotate', '/admin/logout']) {
      expect((await stranger.post(path, { name: 'x' })).status, path).toBe(401);
    }
    // The bearer token of the JSON API does not open the pages: they take only the session.
    const res = await fetch(`${sello.url}/admin/keys`, { redirect: 'manual', headers: { authorization: `Bearer ${sello.adminToken}` } });
    expect(res.status).toBe(303);
    expect((await createPlatformRepository(sello.db).findById(lmsPlatform.id))!.status).toBe('active');
  });

  it('signs in with the token in a form, never in a URL, and answers a cookie that is not the token', async () => {
    const browser = adminBrowser(sello.url);
    const form = await browser.get('/admin/login?next=/admin/keys');
    expect(form.html).toMatch(/<form method="post" action="\/admin\/login"/);
    expect(form.html).toContain('type="password"');
    const wrong = await browser.post('/admin/login', { token: 'not-the-token', next: '/admin/keys' });
    expect(wrong.status).toBe(401);
    expect(errorBesideField(wrong.html, 'admin-token')).toBe("That is not this Sello's admin token.");
    expect(wrong.headers.getSetCookie()).toEqual([]);

    const right = await browser.post('/admin/login', { token: sello.adminToken, next: '/admin/keys' });
    expect(right.status).toBe(303);
    expect(right.location).toBe('/admin/keys');
    const cookie = right.headers.getSetCookie().find((line) => line.startsWith('sello_admin='))!;
    expect(cookie).toMatch(/; HttpOnly/i);
    expect(cookie).toMatch(/; SameSite=Strict/i);
    expect(cookie).toMatch(/; Path=\/admin/i);
    // Plain http on 127.0.0.1: a Secure cookie would never come back.
    expect(cookie).not.toMatch(/; Secure/i);
    expect(cookie).not.toContain(sello.adminToken);
    expect((await browser.get('/admin/keys')).status).toBe(200);

    // Only admin paths as the next page: no open redirect.
    const elsewhere = await adminBrowser(sello.url).post('/admin/login', { token: sello.adminToken, next: 'https://evil.example/admin' });
    expect(elsewhere.location).toBe('/admin');

    const out = await browser.post('/admin/logout', { _admin_csrf: csrfOf((await browser.get('/admin')).html) });
    expect(out.location).toBe('/admin/login?done=signedOut');
    expect((await browser.get('/admin/keys')).status).toBe(303);
  });

  it('renders every page for the admin, in English and in Spanish, with translated titles and no raw keys', async () => {
    const english = catalogKeys('en');
    for (const path of ADMIN_PAGES) {
      for (const [lang, nav] of [
        ['en', 'Issuance queue'],
        ['es', 'Cola de emisión'],
      ] as const) {
        const page = await admin.get(path, { 'accept-language': lang });
        expect(page.status, `${path} ${lang}`).toBe(200);
        expect(page.html).toContain(`<html lang="${lang}">`);
        expect(decodeHtml(page.html)).toContain(nav);
        const title = /<title>([^<]*)<\/title>/.exec(page.html)![1]!;
        expect(english).not.toContain(title.split(' · ')[0]);
        const text = decodeHtml(page.html.replace(/<[^>]+>/g, ' '));
        for (const key of text.match(/\b(admin|lti|trustLists|lmsAdmin)\.[a-zA-Z_.]+/g) ?? []) expect(english, `${path} ${lang}`).not.toContain(key);
        expect(page.html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
        expect(page.headers.get('cache-control')).toBe('no-store');
      }
    }
    const spanish = await admin.get('/admin/keys', { 'accept-language': 'es' });
    expect(spanish.html).toContain('<h1>Claves de firma</h1>');
    expect(decodeHtml(spanish.html)).toContain('Perfil del emisor');
  });

  it('refuses a form without the session’s CSRF token', async () => {
    const answer = await admin.post('/admin/issuer', { name: 'Evil U', url: 'https://evil.example' });
    expect(answer.status).toBe(403);
    expect((await createIssuerRepository(sello.db).findBySlug(DEFAULT_ISSUER_SLUG))!.name).not.toBe('Evil U');
  });

  it('edits the issuer profile with errors beside each field, and keeps the edit over the ISSUER_* settings', async () => {
    const page = await admin.get('/admin/issuer');
    const csrf = csrfOf(page.html);
    const bad = await admin.post('/admin/issuer', { _admin_csrf: csrf, name: '', url: 'http://plain.example', email: 'not-an-email', imageUrl: 'javascript:alert(1)', description: '' });
    expect(bad.status).toBe(400);
    expect(errorBesideField(bad.html, 'issuer-name')).toMatch(/institution's name/);
    expect(errorBesideField(bad.html, 'issuer-url')).toMatch(/https/);
    expect(errorBesideField(bad.html, 'issuer-email')).toMatch(/email/);
    expect(errorBesideField(bad.html, 'issuer-image')).toMatch(/https/);
    // What was typed stays in the form.
    expect(bad.html).toContain('value="not-an-email"');

    const spanish = await fetch(`${sello.url}/admin/issuer`, {
      method: 'POST',
      headers: { cookie: `sello_admin=${admin.cookies.get('sello_admin')}; sello_form=${admin.cookies.get('sello_form')}`, 'accept-language': 'es', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: formTokenOf(page.html)!, _admin_csrf: csrf, name: 'U', url: 'ftp://x', email: '', imageUrl: '', description: '' }).toString(),
    });
    expect(errorBesideField(await spanish.text(), 'issuer-url')).toMatch(/dirección https/);

    const good = await admin.post('/admin/issuer', {
      _admin_csrf: csrf,
      name: 'Universidad de Prueba',
      url: 'https://www.prueba.example',
      email: 'insignias@prueba.example',
      imageUrl: 'https://www.prueba.example/logo.png',
      description: 'Una universidad',
    });
    expect(good.status).toBe(303);
    const after = await admin.get(good.location!);
    expect(after.html).toContain('class="admin-done"');
    expect(after.html).not.toContain('field-error');
    const issuers = createIssuerRepository(sello.db);
    expect(await issuers.findBySlug(DEFAULT_ISSUER_SLUG)).toMatchObject({ name: 'Universidad de Prueba', url: 'https://www.prueba.example', email: 'insignias@prueba.example', imageUrl: 'https://www.prueba.example/logo.png' });
    // The next start applies ISSUER_* again: the admin's edit stays.
    await issuers.upsert(defaultIssuerProfile(sello.config.issuer));
    expect((await issuers.findBySlug(DEFAULT_ISSUER_SLUG))!.name).toBe('Universidad de Prueba');
    expect((await createAuditRepository(sello.db).list({ action: 'issuer.profile_updated', limit: 5 })).length).toBe(1);
  });

  it('takes a small uploaded logo (PNG, or SVG without scripts), serves it, and points the profile at it', async () => {
    const page = await admin.get('/admin/issuer');
    expect(page.html).toContain('enctype="multipart/form-data"');
    const upload = async (file: Blob | null, csrf = csrfOf(page.html)) => {
      const form = new FormData();
      form.set('_admin_csrf', csrf);
      form.set('slug', DEFAULT_ISSUER_SLUG);
      if (file) form.set('logo', file, 'logo');
      // A multipart form carries the page's form token in its action URL, as the page renders it.
      const res = await fetch(`${sello.url}/admin/issuer/logo?_csrf=${formTokenOf(page.html)}`, {
        method: 'POST',
        redirect: 'manual',
        body: form,
        headers: { cookie: `sello_admin=${admin.cookies.get('sello_admin')}; sello_form=${admin.cookies.get('sello_form')}` },
      });
      return { status: res.status, location: res.headers.get('location'), html: await res.text() };
    };
    const png = new PNG({ width: 96, height: 96 });
    png.data.fill(200);
    const pngBytes = PNG.sync.write(png);

    expect((await upload(new Blob([pngBytes], { type: 'image/png' }), 'forged')).status).toBe(403);
    const tooLarge = await upload(new Blob([Buffer.alloc(70 * 1024, 1)], { type: 'image/png' }));
    expect(tooLarge.status).toBe(400);
    expect(errorBesideField(tooLarge.html, 'issuer-logo')).toBe('The file is larger than 64 KB.');
    const text = await upload(new Blob(['hello'], { type: 'image/png' }));
    expect(errorBesideField(text.html, 'issuer-logo')).toBe('Only PNG and SVG files.');
    const scripted = await upload(new Blob(['<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><script>alert(1)</script><rect width="10" height="10"/></svg>'], { type: 'image/svg+xml' }));
    if (scripted.status === 303) {
      const served = await fetch(`${sello.url}/issuers/default/logo`);
      expect(await served.text()).not.toContain('<script');
    } else {
      expect(errorBesideField(scripted.html, 'issuer-logo')).toBe('This SVG cannot be used: it is unreadable or unsafe.');
    }

    const good = await upload(new Blob([pngBytes], { type: 'image/png' }));
    expect(good.status).toBe(303);
    const issuer = (await createIssuerRepository(sello.db).findBySlug(DEFAULT_ISSUER_SLUG))!;
    expect(issuer.imageUrl).toMatch(new RegExp(`^${sello.url}/issuers/default/logo\\?v=[0-9a-f]{12}$`));
    const served = await fetch(issuer.imageUrl!);
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await served.arrayBuffer()).subarray(1, 4).toString()).toBe('PNG');
    // The profile form accepts the served logo as it is when saved again.
    const resaved = await admin.post('/admin/issuer', { _admin_csrf: csrfOf(page.html), name: issuer.name, url: issuer.url, email: issuer.email ?? '', imageUrl: issuer.imageUrl!, description: issuer.description ?? '' });
    expect(resaved.status).toBe(303);
  });

  it('adds a platform by hand with errors beside the fields, then disables and enables it', async () => {
    const csrf = csrfOf((await admin.get('/admin/platforms')).html);
    const bad = await admin.post('/admin/platforms', { _admin_csrf: csrf, name: '', issuer: 'not a url', clientId: '', authUrl: 'https://lms.example/auth', tokenUrl: 'ftp://lms.example/token', jwksUrl: 'https://lms.example/jwks', deploymentId: '' });
    expect(bad.status).toBe(400);
    expect(errorBesideField(bad.html, 'add-issuer')).toMatch(/http\(s\) URL/);
    expect(errorBesideField(bad.html, 'add-clientId')).toMatch(/client ID/);
    expect(errorBesideField(bad.html, 'add-tokenUrl')).toMatch(/http\(s\) URL/);
    expect(errorBesideField(bad.html, 'add-authUrl')).toBeNull();

    const added = await admin.post('/admin/platforms', { _admin_csrf: csrf, name: 'Canvas manual', issuer: 'https://canvas.manual.example', clientId: 'manual-1', authUrl: 'https://canvas.manual.example/auth', tokenUrl: 'https://canvas.manual.example/token', jwksUrl: 'https://canvas.manual.example/jwks', deploymentId: '' });
    expect(added.status).toBe(303);
    const list = await admin.get(added.location!);
    // The success replaces the earlier errors.
    expect(list.html).toContain('Platform added.');
    expect(list.html).not.toContain('field-error');
    const platform = (await createPlatformRepository(sello.db).findByIssuerAndClient('https://canvas.manual.example', 'manual-1'))!;
    expect(platform.status).toBe('active');

    expect((await admin.post(`/admin/platforms/${platform.id}/disable`, { _admin_csrf: csrf })).location).toBe('/admin/platforms?done=disabled');
    expect((await createPlatformRepository(sello.db).findById(platform.id))!.status).toBe('disabled');
    expect((await admin.post(`/admin/platforms/${platform.id}/enable`, { _admin_csrf: csrf })).location).toBe('/admin/platforms?done=enabled');
    expect((await createPlatformRepository(sello.db).findById(platform.id))!.status).toBe('active');

    // An action on what no longer exists: the message sits in that row's place, not at the bottom.
    const gone = await admin.post(`/admin/platforms/00000000-0000-4000-8000-000000000000/approve`, { _admin_csrf: csrf });
    expect(gone.status, gone.html.slice(-1500)).toBe(404);
    expect(decodeHtml(gone.html)).toContain('This platform or registration no longer exists');
  });

  it('approves a pending Dynamic Registration from the list', async () => {
    const pending = await sello.lti.registry.register({
      iss: 'https://moodle.pending.example',
      clientId: 'pending-client',
      authUrl: 'https://moodle.pending.example/mod/lti/auth.php',
      tokenUrl: 'https://moodle.pending.example/mod/lti/token.php',
      jwksUrl: 'https://moodle.pending.example/mod/lti/certs.php',
      status: 'pending',
      registeredVia: 'dynamic',
    });
    const list = await admin.get('/admin/platforms');
    expect(list.html).toContain(`action="/admin/platforms/${pending.id}/approve"`);
    expect(decodeHtml(list.html)).toContain('Waiting for approval');
    const approved = await admin.post(`/admin/platforms/${pending.id}/approve`, { _admin_csrf: csrfOf(list.html) });
    expect(approved.location).toBe('/admin/platforms?done=approved');
    expect((await createPlatformRepository(sello.db).findById(pending.id))!.status).toBe('active');
  });

  it('makes a one-time registration link shown in the page, not in a URL', async () => {
    const list = await admin.get('/admin/platforms');
    const made = await admin.post('/admin/platforms/invite', { _admin_csrf: csrfOf(list.html) });
    expect(made.status).toBe(200);
    expect(decodeHtml(made.html)).toMatch(/<code class="wrap" id="invite-url">http:\/\/127\.0\.0\.1:\d+\/lti\/register\?invite=[\w-]+<\/code>/);
  });

  it('edits a platform, its connector and its webhook secret, with errors beside the fields', async () => {
    const path = `/admin/platforms/${lmsPlatform.id}`;
    const page = await admin.get(path);
    expect(page.status).toBe(200);
    const csrf = csrfOf(page.html);

    const badDetails = await admin.post(`${path}/details`, { _admin_csrf: csrf, name: '', authUrl: 'x', tokenUrl: lmsPlatform.tokenUrl!, jwksUrl: lmsPlatform.jwksUrl! });
    expect(badDetails.status).toBe(400);
    expect(errorBesideField(badDetails.html, 'platform-name')).toMatch(/name/);
    expect(errorBesideField(badDetails.html, 'platform-auth')).toMatch(/http\(s\) URL/);
    const details = await admin.post(`${path}/details`, { _admin_csrf: csrf, name: 'Moodle del campus', authUrl: lmsPlatform.authUrl!, tokenUrl: lmsPlatform.tokenUrl!, jwksUrl: lmsPlatform.jwksUrl! });
    expect(details.location).toBe(`${path}?done=saved`);
    const saved = (await createPlatformRepository(sello.db).findById(lmsPlatform.id))!;
    expect(saved).toMatchObject({ name: 'Moodle del campus', status: 'active', issuerId: lmsPlatform.issuerId, jwksUrl: lmsPlatform.jwksUrl });

    const badConnector = await admin.post(`${path}/connector`, { _admin_csrf: csrf, kind: 'blackboard', baseUrl: 'moodle.example', token: 'short' });
    expect(badConnector.status).toBe(400);
    expect(errorBesideField(badConnector.html, 'connector-kind')).toBe('Choose Moodle or Canvas.');
    expect(errorBesideField(badConnector.html, 'connector-url')).toMatch(/http\(s\) URL/);
    expect(errorBesideField(badConnector.html, 'connector-token')).toMatch(/too short/);
    expect(badConnector.html).not.toContain('value="short"');
    const connector = await admin.post(`${path}/connector`, { _admin_csrf: csrf, kind: 'moodle', baseUrl: 'https://moodle.campus.example/', token: 'a-moodle-token-123' });
    expect(connector.location).toBe(`${path}?done=connector`);
    const shown = await admin.get(connector.location!);
    expect(shown.html).not.toContain('field-error');
    expect(shown.html).toContain('https://moodle.campus.example');
    expect(shown.html).not.toContain('a-moodle-token-123');

    const secret = await admin.post(`${path}/webhook-secret`, { _admin_csrf: csrf });
    expect(secret.status).toBe(200);
    const value = /(whsec_[\w-]+)/.exec(secret.html)![1]!;
    const kek = testSecrets(sello.config).keyEncryptionKey;
    expect(await createOutcomeSecretRepository({ db: sello.db, kek }).findWebhookSecret(lmsPlatform.id)).toBe(value);
    expect((await admin.get(path)).html).not.toContain(value);
  });

  it('rotates the signing key: the old key stays listed as retired', async () => {
    const before = await admin.get('/admin/keys');
    const rotated = await admin.post('/admin/keys/default/rotate', { _admin_csrf: csrfOf(before.html), reason: 'yearly' });
    expect(rotated.location).toBe('/admin/keys?done=rotated');
    const after = await admin.get(rotated.location!);
    expect(after.html).toContain('Key rotated.');
    expect(after.html.match(/Signing now/g)).toHaveLength(1);
    expect(after.html).toContain('Retired (still verifies)');
    expect(after.html).toContain('did:web:');
    // A retired key still verifies what is dated before its retirement, and a thief can backdate: a leak calls for revoking it too, and the page says how.
    for (const language of ['en', 'es']) {
      const page = decodeHtml((await admin.get('/admin/keys', { 'accept-language': language })).html);
      expect(page, language).toContain('npx sello keys revoke');
    }
  });

  it('shows parked issuance jobs with their reason, and retries one', async () => {
    const jobs = createJobRepository(sello.db);
    await jobs.enqueue([{ kind: 'advance_award', key: 'award:parked-test' }]);
    const [job] = await jobs.claim({ workerId: 'test', limit: 1, leaseMs: 60_000 });
    await jobs.fail({ id: job!.id, workerId: 'test', error: 'no email', delayMs: 0, park: true, reason: 'recipient_unreachable' });
    const page = await admin.get('/admin/queue', { 'accept-language': 'es' });
    expect(decodeHtml(page.html)).toContain('El estudiante aún no tiene correo');
    const retried = await admin.post(`/admin/queue/${job!.id}/retry`, { _admin_csrf: csrfOf(page.html) });
    expect(retried.location).toBe('/admin/queue?done=retried');
    expect(await jobs.listFailed()).toEqual([]);
  });

  it('answers a retry of a job that is not waiting, or a rotation for no issuer, with a 404 and the page saying so', async () => {
    const queue = await admin.get('/admin/queue');
    for (const id of ['999999999', 'not-a-job']) {
      const gone = await admin.post(`/admin/queue/${id}/retry`, { _admin_csrf: csrfOf(queue.html) });
      expect(gone.status, id).toBe(404);
      expect(decodeHtml(gone.html)).toContain('<p class="bad" role="alert" id="admin-problem">That job is not waiting any more');
    }
    const keys = await admin.get('/admin/keys', { 'accept-language': 'es' });
    const before = await sello.db.query('SELECT count(*)::int AS n FROM issuer_keys');
    const none = await admin.post('/admin/keys/no-such-issuer/rotate', { _admin_csrf: csrfOf(keys.html), reason: 'yearly' });
    expect(none.status).toBe(404);
    expect(decodeHtml(none.html)).toContain('There is no issuer with that name on this Sello.');
    expect((await sello.db.query('SELECT count(*)::int AS n FROM issuer_keys')).rows).toEqual(before.rows);
    // A platform's forms for a platform that does not exist: 404 not_found, as its page.
    for (const form of ['details', 'connector', 'webhook-secret']) {
      const missing = await admin.post(`/admin/platforms/00000000-0000-4000-8000-000000000000/${form}`, { _admin_csrf: csrfOf(keys.html), name: 'x' });
      expect(missing.status, form).toBe(404);
    }
  });

  it('pages the audit log and filters it by action', async () => {
    const audit = createAuditRepository(sello.db);
    for (let index = 0; index < 55; index += 1) await audit.record({ actor: 'test', action: 'key.revoked', subject: `k-${index}` });
    const first = await admin.get('/admin/audit?action=key.revoked');
    expect(first.html.match(/<tr><td>/g)).toHaveLength(50);
    expect(first.html).toContain('<option value="key.revoked" selected>Key revoked</option>');
    expect(first.html).not.toContain('Key rotated</td>');
    const next = /href="\/admin\/audit(\?[^"]+)">Older entries/.exec(decodeHtml(first.html))![1]!;
    const second = await admin.get(`/admin/audit${next}`);
    expect(second.html.match(/<tr><td>/g)).toHaveLength(5);
    const all = await admin.get('/admin/audit?action=nonsense');
    expect(all.status).toBe(200);
    expect(all.html).toContain('Key rotated');
  });

  describe("an LMS administrator's launch", () => {
    let ltik: string;
    let other: Platform;
    beforeAll(async () => {
      ltik = await launch('root');
      other = (await createPlatformRepository(sello.db).findByIssuerAndClient('https://canvas.manual.example', 'manual-1'))!;
    });

    it("opens that platform's own settings, in the launch's language", async () => {
      const res = await fetch(`${sello.url}/app/admin?ltik=${ltik}`);
      expect(res.status).toBe(200);
      const html = decodeHtml(await res.text());
      expect(html).toContain('<h1>Ajustes de Sello para este LMS</h1>');
      expect(html).toContain(lms.issuer);
      expect(html).not.toContain('canvas.manual.example');
      // No endpoint fields: those stay with the deployment's administrator.
      expect(html).not.toContain('name="jwksUrl"');
    });

    it('sets its connector with errors beside the fields, and only for its own platform', async () => {
      const post = (path: string, fields: Record<string, string>) =>
        fetch(`${sello.url}${path}`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' }, body: new URLSearchParams({ ...ltiFormFields(ltik), ...fields }).toString() });
      const bad = await post('/app/admin/connector', { kind: 'canvas', baseUrl: 'nope', token: 'abcdefghij' });
      expect(bad.status).toBe(400);
      expect(errorBesideField(decodeHtml(await bad.text()), 'connector-url')).toMatch(/dirección del LMS/);
      // Naming another platform changes nothing there: the route knows only the launch's.
      const good = await post('/app/admin/connector', { kind: 'canvas', baseUrl: 'https://canvas.campus.example', token: 'abcdefghij', platformId: other.id, id: other.id });
      expect(good.status).toBe(303);
      const kek = testSecrets(sello.config).keyEncryptionKey;
      const secrets = createOutcomeSecretRepository({ db: sello.db, kek });
      expect((await secrets.describeOutcomeSources(lmsPlatform.id)).connector).toMatchObject({ kind: 'canvas', baseUrl: 'https://canvas.campus.example' });
      expect((await secrets.describeOutcomeSources(other.id)).connector).toBeNull();
      const unnamed = await post('/app/admin/details', { name: '  ' });
      expect(unnamed.status).toBe(400);
      expect(errorBesideField(decodeHtml(await unnamed.text()), 'platform-name')).toBeTruthy();
      const renamed = await post('/app/admin/details', { name: 'Moodle (renombrado)', jwksUrl: 'https://evil.example/jwks' });
      expect(renamed.status).toBe(303);
      expect(await createPlatformRepository(sello.db).findById(lmsPlatform.id)).toMatchObject({ name: 'Moodle (renombrado)', jwksUrl: lmsPlatform.jwksUrl });
      const audit = await createAuditRepository(sello.db).list({ action: 'platform.connector_set', limit: 5 });
      expect(audit[0]).toMatchObject({ actor: expect.stringMatching(new RegExp(`^lti:${lmsPlatform.id}:`)), subject: lmsPlatform.id });
    });

    it('cannot reach other platforms, the keys or the chain', async () => {
      for (const path of ['/admin', '/admin/platforms', `/admin/platforms/${other.id}`, '/admin/keys', '/admin/chain', '/admin/queue', '/admin/audit', '/admin/issuer']) {
        const res = await fetch(`${sello.url}${path}?ltik=${ltik}`, { redirect: 'manual', headers: { authorization: `Bearer ${ltik}` } });
        expect(res.status, path).toBe(303);
        expect(res.headers.get('location')).toMatch(/^\/admin\/login/);
      }
      for (const [path, fields] of [
        [`/admin/platforms/${other.id}/disable`, {}],
        [`/admin/platforms/${other.id}/connector`, { kind: 'moodle', baseUrl: 'https://x.example', token: 'abcdefghij' }],
        ['/admin/keys/default/rotate', {}],
      ] as const) {
        const res = await fetch(`${sello.url}${path}`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ ...ltiFormFields(ltik), ...fields }).toString() });
        expect(res.status, path).toBe(401);
      }
      for (const path of ['/admin/api/platforms', `/admin/api/platforms/${other.id}/outcome-sources`]) {
        const res = await fetch(`${sello.url}${path}`, { headers: { authorization: `Bearer ${ltik}` } });
        expect(res.status, path).toBe(401);
      }
      expect((await createPlatformRepository(sello.db).findById(other.id))!.status).toBe('active');
    });

    it('is linked from the course home of an LMS administrator only', async () => {
      const home = await (await fetch(`${sello.url}/app/instructor?ltik=${ltik}`)).text();
      expect(home).toContain(`id="lms-admin-settings" href="/app/admin?ltik=${ltik}"`);
      // The page's title says what it is, in the launch's language (Spanish for this administrator).
      expect(/<title>([^<]*)<\/title>/.exec(home)![1]).toContain('Insignias de Álgebra');
      const teacher = await launch('prof');
      const theirs = await (await fetch(`${sello.url}/app/instructor?ltik=${teacher}`)).text();
      expect(theirs).toContain('id="new-achievement"');
      expect(theirs).not.toContain('lms-admin-settings');
    });

    it('is refused to an instructor who is not an LMS administrator', async () => {
      const teacher = await launch('prof');
      const res = await fetch(`${sello.url}/app/admin?ltik=${teacher}`, { headers: { accept: 'text/html' } });
      expect(res.status).toBe(403);
      const post = await fetch(`${sello.url}/app/admin/webhook-secret`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(ltiFormFields(teacher)).toString() });
      expect(post.status).toBe(403);
    });
  });
});
