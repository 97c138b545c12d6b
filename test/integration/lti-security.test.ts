/**
 * Every bad launch the LTI security framework names is refused with a clear code, and
 * app pages keep roles and courses apart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandboxLms, ROLE, type LaunchOptions, type Sandbox, type ToolRegistration } from '../../src/sandbox-lms/index.ts';
import { createBrowser, parseForm, type Page, jsonOf } from '../support/sandbox-lms/browser.ts';
import { startTestSello, type RunningTestSello } from '../support/sandbox-lms/sello.ts';
import { createContextRepository } from '../../src/storage/context-repository.ts';
import { createPlatformRepository, type Platform } from '../../src/storage/platform-repository.ts';
import { createAchievementRepository } from '../../src/storage/achievement-repository.ts';

const codeOf = (page: Page) => /<code>([a-z_]+)<\/code>/.exec(page.text)?.[1];
const ltikOf = (page: Page) => new URL(page.url).searchParams.get('ltik')!;

describe('LTI launches that must be refused', () => {
  let lms: Sandbox;
  let sello: RunningTestSello;
  let registration: ToolRegistration;
  let platform: Platform;

  const launch = async (options: Omit<LaunchOptions, 'clientId'>, browser = createBrowser()) => {
    const login = await browser.get(lms.initiateLaunch({ clientId: registration.clientId, ...options }).url);
    return { browser, login, landed: await browser.submit(login) };
  };

  beforeAll(async () => {
    lms = await startSandboxLms();
    sello = await startTestSello();
    registration = lms.registerToolManually({
      loginUrl: `${sello.url}/lti/login`,
      launchUrl: `${sello.url}/lti/launch`,
      jwksUrl: `${sello.url}/lti/keys`,
      deploymentId: 'dep-1',
    });
    const added = await fetch(`${sello.url}/admin/api/platforms`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sello.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        issuer: lms.issuer,
        clientId: registration.clientId,
        authUrl: `${lms.url}/auth`,
        tokenUrl: `${lms.url}/token`,
        jwksUrl: `${lms.url}/jwks`,
        deploymentId: 'dep-1',
        name: 'Moodle de prueba',
      }),
    });
    expect(added.status).toBe(201);
    platform = (await jsonOf(added)).platform;
    lms.addUser({ sub: 'teacher-a' });
    lms.addUser({ sub: 'teacher-b' });
    lms.addUser({ sub: 'learner-a' });
    lms.addCourse({ id: 'course-a', title: 'Course A' });
    lms.addCourse({ id: 'course-b', title: 'Course B' });
    lms.enroll('course-a', 'teacher-a', [ROLE.instructor]);
    lms.enroll('course-b', 'teacher-b', [ROLE.instructor]);
    lms.enroll('course-a', 'learner-a', [ROLE.learner]);
  });
  afterAll(async () => {
    await sello?.close();
    await lms?.close();
  });

  it('accepts a well-formed launch (the baseline the refusals below differ from)', async () => {
    const { landed } = await launch({ userSub: 'teacher-a', courseId: 'course-a' });
    expect(landed.status).toBe(200);
    expect(new URL(landed.url).pathname).toBe('/app/instructor');
  });

  it('refuses a login or launch form holding a NUL or a lone surrogate with 400 invalid_text, before ltijs stores it', async () => {
    const form = (path: string, fields: Record<string, string>) =>
      fetch(`${sello.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body: new URLSearchParams(fields).toString() });
    const login = await form('/lti/login', { iss: lms.issuer, login_hint: 'a\u0000b', target_link_uri: `${sello.url}/lti/launch`, client_id: registration.clientId, lti_deployment_id: 'dep-1' });
    expect(login.status).toBe(400);
    expect(((await login.json()) as { code: string }).code).toBe('invalid_text');
    const launchForm = await form('/lti/launch', { id_token: 'x.y.z', state: 's\u0000' });
    expect(launchForm.status).toBe(400);
    expect(((await launchForm.json()) as { code: string }).code).toBe('invalid_text');
  });

  it('refuses a signed launch whose claims hold a NUL or a lone surrogate with lti_claims_invalid, storing nothing', async () => {
    for (const tamper of [
      (claims: Record<string, unknown>) => void (claims.name = 'Ana\u0000'),
      (claims: Record<string, unknown>) => void (claims['https://purl.imsglobal.org/spec/lti/claim/context'] = { id: 'course-a', title: 'Curso \ud800' }),
    ]) {
      const { landed } = await launch({ userSub: 'teacher-a', courseId: 'course-a', tamper });
      expect(landed.status).toBe(400);
      expect(landed.text).toContain('lti_claims_invalid');
    }
    const { rows } = await sello.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM users WHERE name LIKE '%' || chr(65533) || '%'`);
    expect(rows[0]!.n).toBe(0);
  });

  it('fetches the platform key set once for many launches, and again when the platform rotates its key', async () => {
    const before = lms.log.filter((entry) => entry.path === '/jwks').length;
    for (let i = 0; i < 3; i += 1) expect((await launch({ userSub: 'teacher-a', courseId: 'course-a' })).landed.status).toBe(200);
    expect(lms.log.filter((entry) => entry.path === '/jwks').length - before).toBe(0);
    await lms.rotateKey();
    expect((await launch({ userSub: 'teacher-a', courseId: 'course-a' })).landed.status).toBe(200);
    expect((await launch({ userSub: 'teacher-a', courseId: 'course-a' })).landed.status).toBe(200);
    expect(lms.log.filter((entry) => entry.path === '/jwks').length - before).toBe(1);
  });

  it('refuses an id_token naming a key the platform does not publish', async () => {
    const { landed } = await launch({
      userSub: 'teacher-a',
      courseId: 'course-a',
      tamper: (_claims, header) => {
        header.kid = 'no-such-key';
      },
    });
    expect(landed.status).toBe(401);
    expect(codeOf(landed)).toBe('lti_signature_invalid');
  });

  it('refuses an id_token signed with a key that is not in the platform JWKS', async () => {
    const { landed } = await launch({ userSub: 'teacher-a', courseId: 'course-a', tamper: () => 'foreign-key' });
    expect(landed.status).toBe(401);
    expect(codeOf(landed)).toBe('lti_signature_invalid');
  });

  it('refuses an unsigned id_token (alg none)', async () => {
    const { landed } = await launch({ userSub: 'teacher-a', courseId: 'course-a', tamper: () => 'unsigned' });
    expect(landed.status).toBe(401);
    expect(codeOf(landed)).toBe('lti_alg_invalid');
  });

  it('refuses an expired id_token', async () => {
    const { landed } = await launch({
      userSub: 'teacher-a',
      courseId: 'course-a',
      tamper: (claims) => {
        claims.iat = Math.floor(Date.now() / 1000) - 900;
        claims.exp = Math.floor(Date.now() / 1000) - 600;
      },
    });
    expect(landed.status).toBe(401);
    expect(codeOf(landed)).toBe('lti_token_expired');
  });

  it('refuses an id_token issued long ago even when it has not expired', async () => {
    const { landed } = await launch({
      userSub: 'teacher-a',
      courseId: 'course-a',
      tamper: (claims) => {
        claims.iat = Math.floor(Date.now() / 1000) - 600;
      },
    });
    expect(landed.status).toBe(401);
    expect(codeOf(landed)).toBe('lti_token_expired');
  });

  it('refuses an id_token meant for another tool (wrong audience)', async () => {
    const { landed } = await launch({
      userSub: 'teacher-a',
      courseId: 'course-a',
      tamper: (claims) => {
        claims.aud = 'someone-else';
        claims.azp = 'someone-else';
      },
    });
    expect(landed.status).toBe(401);
    expect(codeOf(landed)).toBe('lti_audience_invalid');
  });

  // Issue 10, finding 9: what ltijs let through, refused per the Security Framework 5.1.3.
  const contextCount = async () => Number((await sello.db.query<{ n: number }>('SELECT count(*)::int AS n FROM contexts')).rows[0]!.n);
  const nowS = () => Math.floor(Date.now() / 1000);

  it('refuses an id_token without an expiry (exp)', async () => {
    const { landed } = await launch({ userSub: 'teacher-a', courseId: 'course-a', tamper: (claims) => void delete claims.exp });
    expect(landed.status).toBe(401);
    expect(codeOf(landed)).toBe('lti_token_expired');
  });

  it('refuses an id_token issued an hour in the future, and accepts one a few seconds ahead (clock skew)', async () => {
    const { landed } = await launch({
      userSub: 'teacher-a',
      courseId: 'course-a',
      tamper: (claims) => {
        claims.iat = nowS() + 3600;
        claims.exp = nowS() + 3900;
      },
    });
    expect(landed.status).toBe(401);
    expect(codeOf(landed)).toBe('lti_token_invalid');
    const skewed = await launch({ userSub: 'teacher-a', courseId: 'course-a', tamper: (claims) => void (claims.iat = nowS() + 20) });
    expect(skewed.landed.status).toBe(200);
  });

  it('refuses an audience array without azp, and one with an audience Sello does not hold', async () => {
    for (const tamper of [
      (claims: Record<string, unknown>) => {
        claims.aud = [registration.clientId, registration.clientId];
        delete claims.azp;
      },
      (claims: Record<string, unknown>) => {
        claims.aud = [registration.clientId, 'someone-else'];
        claims.azp = registration.clientId;
      },
    ]) {
      const { landed } = await launch({ userSub: 'teacher-a', courseId: 'course-a', tamper });
      expect(landed.status).toBe(401);
      expect(codeOf(landed)).toBe('lti_audience_invalid');
    }
  });

  it('refuses roles given as a text instead of an array', async () => {
    const { landed } = await launch({
      userSub: 'learner-a',
      courseId: 'course-a',
      tamper: (claims) => void (claims['https://purl.imsglobal.org/spec/lti/claim/roles'] = ROLE.instructor),
    });
    expect(landed.status).toBe(400);
    expect(codeOf(landed)).toBe('lti_claims_invalid');
  });

  it('refuses a context id over 255 characters, or of 100 KB, and stores nothing', async () => {
    const before = await contextCount();
    for (const id of ['c'.repeat(256), 'c'.repeat(100 * 1024)]) {
      const { landed } = await launch({
        userSub: 'teacher-a',
        courseId: 'course-a',
        tamper: (claims) => {
          (claims['https://purl.imsglobal.org/spec/lti/claim/context'] as { id: string }).id = id;
        },
      });
      expect(landed.status).toBe(400);
      expect(codeOf(landed)).toBe('lti_claims_invalid');
    }
    expect(await contextCount()).toBe(before);
  });

  it('refuses a launch from a deployment the platform did not register', async () => {
    const { landed } = await launch({
      userSub: 'teacher-a',
      courseId: 'course-a',
      tamper: (claims) => {
        claims['https://purl.imsglobal.org/spec/lti/claim/deployment_id'] = 'dep-unknown';
      },
    });
    expect(landed.status).toBe(403);
    expect(codeOf(landed)).toBe('lti_deployment_unknown');
  });

  it('refuses a launch without the LTI version claim', async () => {
    const { landed } = await launch({
      userSub: 'teacher-a',
      courseId: 'course-a',
      tamper: (claims) => {
        delete claims['https://purl.imsglobal.org/spec/lti/claim/version'];
      },
    });
    expect(landed.status).toBe(400);
    expect(codeOf(landed)).toBe('lti_claims_invalid');
  });

  it('refuses a replayed id_token (nonce already used) even with a fresh login state', async () => {
    const first = await launch({ userSub: 'teacher-a', courseId: 'course-a' });
    expect(first.landed.status).toBe(200);
    const stolen = parseForm(first.login.text).fields.id_token!;
    // The attacker starts a new login of their own to get a valid state and cookie.
    const browser = createBrowser();
    const again = await browser.get(lms.initiateLaunch({ clientId: registration.clientId, userSub: 'teacher-a', courseId: 'course-a' }).url);
    const replay = await browser.submit(again, undefined, { id_token: stolen });
    expect(replay.status).toBe(401);
    expect(codeOf(replay)).toBe('lti_nonce_replayed');
  });

  it('refuses a launch whose state was never issued (no state cookie, no login record)', async () => {
    const { login } = await launch({ userSub: 'teacher-a', courseId: 'course-a' });
    const form = parseForm(login.text);
    const forged = await createBrowser().post(form.action, { ...form.fields, state: 'forged-state' });
    expect(forged.status).toBe(401);
    expect(codeOf(forged)).toBe('lti_state_missing');
  });

  it('refuses a login and a launch from a platform nobody registered', async () => {
    const login = await createBrowser().get(
      `${sello.url}/lti/login?iss=${encodeURIComponent('https://unknown.lms.example')}&login_hint=x&target_link_uri=${encodeURIComponent(`${sello.url}/lti/launch`)}`,
    );
    expect(login.status).toBe(400);
    expect(codeOf(login)).toBe('lti_platform_unknown');
    const spanish = await createBrowser().get(
      `${sello.url}/lti/login?iss=${encodeURIComponent('https://unknown.lms.example')}&login_hint=x&target_link_uri=${encodeURIComponent(`${sello.url}/lti/launch`)}`,
      { 'accept-language': 'es-CR,es;q=0.9' },
    );
    expect(spanish.text).toContain('Sello no pudo abrir esta página');
    const { login: real } = await launch({ userSub: 'teacher-a', courseId: 'course-a' });
    const form = parseForm(real.text);
    const [header, , signature] = form.fields.id_token!.split('.');
    const payload = JSON.parse(Buffer.from(form.fields.id_token!.split('.')[1]!, 'base64url').toString());
    payload.iss = 'https://unknown.lms.example';
    const foreign = `${header}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${signature}`;
    const res = await fetch(form.action, {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ id_token: foreign, state: form.fields.state! }),
    });
    expect(res.status).toBe(400);
    expect((await jsonOf(res)).code).toBe('lti_platform_unknown');
  });

  it('refuses a login request without its required parameters or pointing outside Sello', async () => {
    const missing = await fetch(`${sello.url}/lti/login?iss=${encodeURIComponent(lms.issuer)}`, { headers: { accept: 'application/json' } });
    expect(missing.status).toBe(400);
    expect((await jsonOf(missing)).code).toBe('lti_login_invalid');
    const elsewhere = await fetch(
      `${sello.url}/lti/login?iss=${encodeURIComponent(lms.issuer)}&login_hint=x&target_link_uri=${encodeURIComponent('https://evil.example/launch')}`,
      { headers: { accept: 'application/json' } },
    );
    expect(elsewhere.status).toBe(400);
    expect((await jsonOf(elsewhere)).code).toBe('lti_login_invalid');
  });

  it('keeps a learner out of instructor pages', async () => {
    const { landed } = await launch({ userSub: 'learner-a', courseId: 'course-a' });
    expect(new URL(landed.url).pathname).toBe('/app/learner');
    const res = await fetch(`${sello.url}/app/instructor?ltik=${ltikOf(landed)}`, { headers: { accept: 'application/json' } });
    expect(res.status).toBe(403);
    expect((await jsonOf(res)).code).toBe('lti_forbidden');
    const dl = await fetch(`${sello.url}/app/deep-link?ltik=${ltikOf(landed)}`, { headers: { accept: 'text/html' } });
    expect(dl.status).toBe(403);
  });

  it('keeps the instructor of course A out of course B', async () => {
    const a = await launch({ userSub: 'teacher-a', courseId: 'course-a' });
    await launch({ userSub: 'teacher-b', courseId: 'course-b' });
    const contexts = createContextRepository(sello.db);
    const courseB = (await contexts.findByLmsId(platform.id, 'course-b'))!;
    const named = await fetch(`${sello.url}/app/instructor?ltik=${ltikOf(a.landed)}&contextId=${courseB.id}`, { headers: { accept: 'application/json' } });
    expect(named.status).toBe(403);
    expect((await jsonOf(named)).code).toBe('lti_forbidden');

    const secret = await createAchievementRepository(sello.db).create({ issuerId: platform.issuerId, contextId: courseB.id, name: 'B only' });
    const dl = await launch({ userSub: 'teacher-a', courseId: 'course-a', messageType: 'LtiDeepLinkingRequest' });
    const res = await fetch(`${sello.url}/app/deep-link`, {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/json' },
      body: JSON.stringify({ ltik: ltikOf(dl.landed), achievementId: secret.id }),
    });
    expect(res.status).toBe(403);
    expect((await jsonOf(res)).code).toBe('lti_forbidden');
    expect(await createAchievementRepository(sello.db).findLink(secret.id, (await contexts.findByLmsId(platform.id, 'course-a'))!.id)).toBeNull();
  });

  it('refuses a Deep Linking answer from a resource-link launch', async () => {
    const { landed } = await launch({ userSub: 'teacher-a', courseId: 'course-a' });
    const mine = await createAchievementRepository(sello.db).create({
      issuerId: platform.issuerId,
      contextId: (await createContextRepository(sello.db).findByLmsId(platform.id, 'course-a'))!.id,
      name: 'Mine',
    });
    const res = await fetch(`${sello.url}/app/deep-link`, {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/json' },
      body: JSON.stringify({ ltik: ltikOf(landed), achievementId: mine.id }),
    });
    expect(res.status).toBe(400);
    expect((await jsonOf(res)).code).toBe('lti_deep_linking_invalid');
  });

  it('stops launches and open sessions of a platform an admin disabled', async () => {
    const { landed } = await launch({ userSub: 'teacher-a', courseId: 'course-a' });
    const disabled = await fetch(`${sello.url}/admin/api/platforms/${platform.id}/disable`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sello.adminToken}` },
    });
    expect(disabled.status).toBe(200);
    try {
      const session = await fetch(`${sello.url}/app/instructor?ltik=${ltikOf(landed)}`, { headers: { accept: 'application/json' } });
      expect(session.status).toBe(403);
      expect((await jsonOf(session)).code).toBe('lti_platform_inactive');
      const login = await createBrowser().get(lms.initiateLaunch({ clientId: registration.clientId, userSub: 'teacher-a', courseId: 'course-a' }).url);
      expect(login.status).toBe(403);
      expect(codeOf(login)).toBe('lti_platform_inactive');
      expect((await createPlatformRepository(sello.db).findById(platform.id))!.status).toBe('disabled');
    } finally {
      await fetch(`${sello.url}/admin/api/platforms/${platform.id}/approve`, { method: 'POST', headers: { authorization: `Bearer ${sello.adminToken}` } });
    }
  });
});
