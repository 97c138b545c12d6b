/**
 * Security headers (issue 10, finding 7): every answer says nosniff and a referrer
 * policy; pages get a Content-Security-Policy without inline script or style; badges and
 * documents get `default-src 'none'`; the pages an LMS frames may be framed by exactly
 * the active platforms' origins, everything else by nothing.
 */
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, CHAIN, makeCredentialsApp } from './credentials-fixture.ts';
import { issueCredential } from '../../src/issuance/issue-credential.ts';
import { createPlatformRepository } from '../../src/storage/platform-repository.ts';
import { startSandboxLms, ROLE, type Sandbox } from '../../src/sandbox-lms/index.ts';
import { createBrowser } from '../support/sandbox-lms/browser.ts';
import { startTestSello, type RunningTestSello } from '../support/sandbox-lms/sello.ts';
import { loadConfig } from '../../src/config.ts';

/** The directives of a Content-Security-Policy header, by name. */
function directives(header: string | undefined): Record<string, string> {
  expect(header, 'Content-Security-Policy').toEqual(expect.any(String));
  return Object.fromEntries(
    header!
      .split(';')
      .map((part) => part.trim())
      .filter(Boolean)
      .map((part) => [part.split(/\s+/)[0]!, part.split(/\s+/).slice(1).join(' ')]),
  );
}

function expectBaseline(res: request.Response) {
  expect(res.headers['x-content-type-options']).toBe('nosniff');
  expect(res.headers['referrer-policy']).toBe('strict-origin-when-cross-origin');
}

describe('security headers on public pages and documents', () => {
  let t: Awaited<ReturnType<typeof makeCredentialsApp>>;
  let credentialPath: string;
  beforeAll(async () => {
    t = await makeCredentialsApp();
    const stored = await t.db.transaction((tx) =>
      issueCredential({ db: tx, keys: t.keys, publicUrl: t.config.publicUrl, chainReference: CHAIN, issuerId: t.issuer.id, achievement: t.achievement, recipient: { email: 'ana@example.edu', name: 'Ana' } }),
    );
    credentialPath = `/credentials/${stored.id.replace('urn:uuid:', '')}`;
  });
  afterAll(() => t.close());

  it('gives a page a policy with scripts, styles and fonts from Sello only, and no framing', async () => {
    for (const url of ['/', credentialPath]) {
      const res = await request(t.app).get(url).set('accept', 'text/html').expect(200);
      expectBaseline(res);
      expect(res.headers['x-frame-options']).toBe('DENY');
      const csp = directives(res.headers['content-security-policy']);
      expect(csp).toMatchObject({
        'default-src': "'none'",
        'script-src': "'self'",
        'style-src': "'self'",
        'font-src': "'self'",
        'img-src': "'self' data: https:",
        'base-uri': "'none'",
        'form-action': "'self'",
        'frame-ancestors': "'none'",
      });
      expect(res.headers['content-security-policy']).not.toMatch(/unsafe-inline|unsafe-eval/);
    }
  });

  it('sends no policy with a 304, so a revisited page keeps its own and its stylesheet and images still load', async () => {
    for (const url of ['/', credentialPath]) {
      const first = await request(t.app).get(url).set('accept', 'text/html').expect(200);
      const etag = first.headers.etag;
      expect(etag, url).toBeTruthy();
      const again = await request(t.app).get(url).set('accept', 'text/html').set('if-none-match', etag).expect(304);
      expect(again.headers['content-security-policy'], url).toBeUndefined();
      expect(again.headers['x-content-type-options']).toBe('nosniff');
    }
  });

  it('gives the error page and a 400 from the URL guard the same headers', async () => {
    const missing = await request(t.app).get('/no/such/page').set('accept', 'text/html').expect(404);
    expectBaseline(missing);
    expect(directives(missing.headers['content-security-policy'])['frame-ancestors']).toBe("'none'");
    const bad = await request(t.app).get('/issuers/%00/did.json').expect(400);
    expectBaseline(bad);
    expect(bad.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'");
  });

  it("gives the badge SVG a policy under which it can run and load nothing, sandboxed", async () => {
    const res = await request(t.app).get(`${credentialPath}/badge.svg`).expect(200);
    expectBaseline(res);
    expect(res.headers['content-type']).toMatch(/^image\/svg\+xml/);
    const csp = directives(res.headers['content-security-policy']);
    expect(csp['default-src']).toBe("'none'");
    expect(csp['frame-ancestors']).toBe("'none'");
    expect(csp).toHaveProperty('sandbox');
    expect(csp['script-src']).toBeUndefined();
  });

  it("gives JSON, JSON-LD, PNG and static files default-src 'none'", async () => {
    for (const url of ['/health', `${credentialPath}.json`, `${credentialPath}/badge.png`, '/.well-known/did.json', '/static/sello.css']) {
      const res = await request(t.app).get(url).expect(200);
      expectBaseline(res);
      expect(res.headers['content-security-policy'], url).toBe("default-src 'none'; frame-ancestors 'none'");
    }
    const failed = await request(t.app).post('/credentials/issue').set('authorization', 'Bearer wrong').send({}).expect(401);
    expectBaseline(failed);
    expect(failed.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(ADMIN).not.toBe('wrong');
  });

  it('has no inline script, inline style or event handler attribute left in any view', () => {
    const views = path.resolve(import.meta.dirname, '..', '..', 'views');
    const files = fs.readdirSync(views, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.hbs'));
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) {
      const text = fs.readFileSync(path.join(views, file), 'utf8');
      expect(text, file).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/i);
      expect(text, file).not.toMatch(/<style[\s>]/i);
      expect(text, file).not.toMatch(/\sstyle=/i);
      expect(text, file).not.toMatch(/\son[a-z]+=/i);
    }
  });
});

describe('framing of the pages an LMS opens', () => {
  let lms: Sandbox;
  let sello: RunningTestSello;
  let ltik: string;
  beforeAll(async () => {
    lms = await startSandboxLms();
    sello = await startTestSello({ env: { LTI_FRAME_ANCESTORS: 'https://canvas.uni.example' } });
    const registration = lms.registerToolManually({ loginUrl: `${sello.url}/lti/login`, launchUrl: `${sello.url}/lti/launch`, jwksUrl: `${sello.url}/lti/keys`, deploymentId: '1' });
    const added = await request(sello.url)
      .post('/admin/api/platforms')
      .set('authorization', `Bearer ${sello.adminToken}`)
      .send({ issuer: lms.issuer, clientId: registration.clientId, authUrl: `${lms.url}/auth`, tokenUrl: `${lms.url}/token`, jwksUrl: `${lms.url}/jwks`, deploymentId: '1' });
    expect(added.status).toBe(201);
    lms.addUser({ sub: 'prof', name: 'Prof' });
    lms.addCourse({ id: 'course-h', title: 'Headers' });
    lms.enroll('course-h', 'prof', [ROLE.instructor]);
    const browser = createBrowser();
    const page = await browser.submit(await browser.get(lms.initiateLaunch({ clientId: registration.clientId, userSub: 'prof', courseId: 'course-h' }).url));
    ltik = new URL(page.url).searchParams.get('ltik')!;
    expect(ltik).toBeTruthy();
  }, 120_000);
  afterAll(async () => {
    await sello?.close();
    await lms?.close();
  });

  const frameAncestors = (res: request.Response) => directives(res.headers['content-security-policy'])['frame-ancestors'];
  const platforms = () => createPlatformRepository(sello.db);

  it("lets Sello, the active platforms' origins and the configured ones frame the LMS pages, and nothing else", async () => {
    const res = await request(sello.url).get(`/app/instructor?ltik=${ltik}`).set('accept', 'text/html').expect(200);
    expectBaseline(res);
    expect(res.headers['x-frame-options']).toBeUndefined();
    expect(frameAncestors(res)!.split(' ').sort()).toEqual(["'self'", lms.url, 'https://canvas.uni.example'].sort());
    const csp = directives(res.headers['content-security-policy']);
    expect(csp['script-src']).toBe("'self'");
    // The Deep Linking answer is a form posted back to the LMS: no form-action limit here.
    expect(csp['form-action']).toBeUndefined();
    const login = await request(sello.url).get('/lti/login').set('accept', 'text/html');
    expect(login.status).toBeLessThan(500);
    expect(frameAncestors(login)!.split(' ')).toContain(lms.url);
  });

  it('takes a platform out of frame-ancestors as soon as it is disabled, and the issuer and authorization origins of each', async () => {
    const other = await platforms().upsert({
      issuerId: (await platforms().list())[0]!.issuerId,
      iss: 'https://moodle.uni.example',
      clientId: 'c-2',
      authUrl: 'https://auth.uni.example:8443/mod/lti/auth.php',
      status: 'active',
    });
    const both = frameAncestors(await request(sello.url).get(`/app/instructor?ltik=${ltik}`).set('accept', 'text/html'))!.split(' ');
    expect(both).toEqual(expect.arrayContaining(['https://moodle.uni.example', 'https://auth.uni.example:8443', lms.url]));
    const canvas = await platforms().upsert({ issuerId: other.issuerId, iss: 'https://canvas.instructure.com', clientId: '1000000000042', authUrl: 'https://sso.canvaslms.com/api/lti/authorize_redirect', status: 'active' });
    // Canvas Cloud frames from the institution's own host, under the shared issuer.
    expect(frameAncestors(await request(sello.url).get(`/app/instructor?ltik=${ltik}`).set('accept', 'text/html'))!.split(' ')).toContain('https://*.instructure.com');
    await platforms().setStatus(canvas.id, 'disabled');
    await platforms().setStatus(other.id, 'disabled');
    const after = frameAncestors(await request(sello.url).get(`/app/instructor?ltik=${ltik}`).set('accept', 'text/html'))!.split(' ');
    expect(after).not.toContain('https://moodle.uni.example');
    expect(after).not.toContain('https://auth.uni.example:8443');
    expect(after).toContain(lms.url);
  });

  it('lets the LMS that opened the Dynamic Registration page frame it, before it is approved', async () => {
    // Whatever the registration's outcome (this LMS does not exist), its answer may show in that LMS's dialog.
    const res = await request(sello.url).get(`/lti/register?openid_configuration=${encodeURIComponent('https://lms.new.example/mod/lti/openid-configuration.php')}`).set('accept', 'text/html');
    expect(frameAncestors(res)!.split(' ')).toContain('https://lms.new.example');
    const injected = await request(sello.url).get(`/lti/register?openid_configuration=${encodeURIComponent('https://a;sandbox/x')}`).set('accept', 'text/html');
    expect(injected.headers['content-security-policy']).not.toMatch(/a;sandbox|;\s*sandbox/);
  });

  it("refuses a bad LTI_FRAME_ANCESTORS at start-up, naming it", () => {
    expect(() => loadConfig({ LTI_FRAME_ANCESTORS: "https://ok.example 'unsafe-inline'" })).toThrow(/LTI_FRAME_ANCESTORS/);
    expect(loadConfig({ LTI_FRAME_ANCESTORS: 'https://*.instructure.com, https://canvas.uni.example:8443' }).lti.frameAncestors).toEqual([
      'https://*.instructure.com',
      'https://canvas.uni.example:8443',
    ]);
  });
});
