/**
 * Issue 12 item 6: a course synced on demand, by an admin over the API, by the
 * instructor's "Sync now", and by `sello sync` while a running Sello holds the embedded
 * database (the command asks that Sello instead of opening the database).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandboxLms, ROLE, type Sandbox, type ToolRegistration } from '../../src/sandbox-lms/index.ts';
import { createBrowser, jsonOf } from '../support/sandbox-lms/browser.ts';
import { startTestSello, type RunningTestSello } from '../support/sandbox-lms/sello.ts';
import { startFakeMoodle, type FakeMoodle } from '../support/moodle-ws-fake/index.ts';
import { makeTempDir, testKek } from '../support/config.ts';
import { createCourseSync } from '../../src/issuance/start-issuance.ts';
import { createPlatformRepository } from '../../src/storage/platform-repository.ts';
import { createOutcomeSecretRepository } from '../../src/storage/outcome-secret-repository.ts';
import { createOutcomeRepository } from '../../src/storage/outcome-repository.ts';
import { createOutboundFetch } from '../../src/outbound/outbound-fetch.ts';

/** Sello's outbound client; the fakes listen on 127.0.0.1. */
const outboundFetch = createOutboundFetch({ allowPrivate: true });

const root = path.resolve(import.meta.dirname, '..', '..');
const CLI_TIMEOUT = 120_000;

function sello(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(root, 'bin', 'sello.js'), ...args],
      { cwd: root, env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', SELLO_KEK: testKek.toString('hex'), ...env }, encoding: 'utf8', timeout: 90_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('syncing a course on demand', () => {
  let lms: Sandbox;
  let moodle: FakeMoodle;
  let running: RunningTestSello;
  let registration: ToolRegistration;
  let contextId: string;
  let ltik: string;
  const lockedDir = makeTempDir('sello-locked-');

  beforeAll(async () => {
    lms = await startSandboxLms({ productFamily: 'moodle' });
    moodle = await startFakeMoodle();
    running = await startTestSello({
      env: { LTI_DYNREG_AUTO_APPROVE: 'true' },
      syncNow: ({ db, lti }) => createCourseSync({ db, kek: testKek, ltiServices: lti.services, fetch: outboundFetch }),
    });
    // Moodle's LTI context id is its course id; its LTI sub is the user id.
    lms.addUser({ sub: '2', name: 'Profesora', locale: 'en' });
    lms.addUser({ sub: '7', name: 'Eva' });
    lms.addCourse({ id: '42', title: 'Química' });
    lms.enroll('42', '2', [ROLE.instructor]);
    lms.enroll('42', '7', [ROLE.learner]);
    moodle.courses.set(42, {
      id: 42,
      activities: [{ cmid: 302, name: 'Quiz 3', modname: 'quiz', grademax: 10 }],
      users: [7],
      grades: new Map([[7, new Map([[302, 9]])]]),
      completed: new Map(),
      courseTotals: new Map(),
    });
    await createBrowser().get(`${running.url}/lti/register?openid_configuration=${encodeURIComponent(lms.openIdConfigurationUrl())}&registration_token=${lms.newRegistrationToken()}`);
    registration = [...lms.registrations.values()][0]!;
    const platform = (await createPlatformRepository(running.db).findByIssuerAndClient(lms.issuer, registration.clientId))!;
    await createOutcomeSecretRepository({ db: running.db, kek: testKek }).setConnector({ platformId: platform.id, kind: 'moodle', baseUrl: moodle.url, token: moodle.token });
    const browser = createBrowser();
    const landed = await browser.submit(await browser.get(lms.initiateLaunch({ clientId: registration.clientId, userSub: '2', courseId: '42' }).url));
    ltik = new URL(landed.url).searchParams.get('ltik')!;
    contextId = (await createOutcomeRepository(running.db).findContextByLmsId(platform.id, '42'))!.id;
    // A live process's lock on an embedded data dir stands for the server holding it.
    fs.writeFileSync(path.join(lockedDir, 'sello.lock'), String(process.pid));
  }, 60_000);
  afterAll(async () => {
    await running?.close();
    await moodle?.close();
    await lms?.close();
    fs.rmSync(lockedDir, { recursive: true, force: true });
  });

  it('syncs a course through POST /admin/api/contexts/:id/sync, by Sello id or LMS id, with the admin token only', async () => {
    const post = (id: string, token?: string) =>
      fetch(`${running.url}/admin/api/contexts/${id}/sync`, { method: 'POST', headers: { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) } });
    const refused = await post(contextId);
    expect(refused.status).toBe(401);
    const answer = await post('42', running.adminToken);
    expect(answer.status).toBe(200);
    const body = await jsonOf(answer);
    expect(body.context).toMatchObject({ id: contextId, lmsContextId: '42' });
    expect(body.sources.moodle).toEqual({ batches: 1 });
    expect(body.total).toMatchObject({ received: 2, unknownContext: 0 });
    expect(body.awards).toMatchObject({ awarded: 0 });
    const unknown = await post('no-such-course', running.adminToken);
    expect(unknown.status).toBe(404);
    expect((await jsonOf(unknown)).code).toBe('context_not_found');
  });

  it("gives the instructor a Sync now button that reads the course and says what it found", async () => {
    const home = await createBrowser().get(`${running.url}/app/instructor?ltik=${encodeURIComponent(ltik)}`);
    expect(home.text).toContain('action="/app/instructor/sync"');
    moodle.courses.get(42)!.grades.set(7, new Map([[302, 10]]));
    const before = moodle.calls.length;
    const synced = await createBrowser().submit(home, undefined);
    expect(synced.status).toBe(200);
    expect(new URL(synced.url).pathname).toBe('/app/instructor');
    expect(synced.text).toMatch(/Synced: 2 results read, \d+ learners to evaluate/);
    expect(moodle.calls.length).toBeGreaterThan(before);
  });

  it("shows the course's last sync as a date and time in the page's language, not an ISO time", async () => {
    await running.db.query(`UPDATE contexts SET last_synced_at = '2026-11-29T10:57:28Z' WHERE id = $1`, [contextId]);
    const home = (lang: string) => createBrowser().get(`${running.url}/app/instructor?ltik=${encodeURIComponent(ltik)}&lang=${lang}`);
    const english = (await home('en')).text;
    expect(english).toContain('Last synced 29 Nov 2026, 10:57 UTC.');
    const spanish = (await home('es')).text;
    expect(spanish).toContain('Última sincronización: 29 nov 2026, 10:57 UTC.');
    for (const page of [english, spanish]) {
      expect(page).not.toContain('2026-11-29');
      expect(page).not.toContain('(UTC)');
    }
  });

  it('runs sello sync through the running Sello while it holds the embedded database', async () => {
    const result = await sello(['sync', '--context', '42', '--json', '--url', running.url], { SELLO_DATA_DIR: lockedDir, ADMIN_TOKEN: running.adminToken });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout.trim().split('\n').at(-1)!);
    expect(report).toMatchObject({ via: 'api', context: { id: contextId, lmsContextId: '42' }, sources: { moodle: { batches: 1 } } });
  }, CLI_TIMEOUT);

  it('says how to reach the server when the database is held and no Sello answers', async () => {
    const result = await sello(['sync', '--context', '42'], { SELLO_DATA_DIR: lockedDir, ADMIN_TOKEN: running.adminToken, PUBLIC_URL: 'http://127.0.0.1:9' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('A running Sello holds the embedded database');
    expect(result.stderr).toContain('--url');
  }, CLI_TIMEOUT);
});
