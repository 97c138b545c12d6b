/**
 * The composition root wires the LTI capability: a real `startSello` (embedded database
 * and chain) registers a platform through its admin API and takes a full launch from the
 * sandbox LMS.
 */
import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { startSello } from '../../src/server.ts';
import { loadConfig } from '../../src/config.ts';
import { makeTempDir } from '../support/config.ts';
import { startSandboxLms, ROLE } from '../../src/sandbox-lms/index.ts';
import { createBrowser } from '../support/sandbox-lms/browser.ts';
import { freePort } from '../support/free-port.ts';

const dataDir = makeTempDir();
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

describe('the Sello server inside an LMS', () => {
  it('serves the LTI endpoints from startSello and completes a launch from the sandbox LMS', async () => {
    const port = await freePort();
    const adminToken = 'lti-server-test-admin-token-0123456789';
    const config = loadConfig({
      SELLO_DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      ADMIN_TOKEN: adminToken,
      LOG_LEVEL: 'silent',
    });
    const sello = await startSello({ config, announce: () => {} });
    const lms = await startSandboxLms();
    try {
      expect((await fetch(`${sello.url}/lti/keys`)).status).toBe(200);
      expect((await fetch(`${sello.url}/lti/canvas.json`)).status).toBe(200);
      const registration = lms.registerToolManually({ loginUrl: `${sello.url}/lti/login`, launchUrl: `${sello.url}/lti/launch`, jwksUrl: `${sello.url}/lti/keys`, deploymentId: '1' });
      const added = await fetch(`${sello.url}/admin/api/platforms`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ issuer: lms.issuer, clientId: registration.clientId, authUrl: `${lms.url}/auth`, tokenUrl: `${lms.url}/token`, jwksUrl: `${lms.url}/jwks`, deploymentId: '1' }),
      });
      expect(added.status).toBe(201);
      lms.addUser({ sub: 'teacher-s', name: 'Sofía' });
      lms.addCourse({ id: 'course-s', title: 'Curso del servidor' });
      lms.enroll('course-s', 'teacher-s', [ROLE.instructor]);
      const browser = createBrowser();
      const landed = await browser.submit(await browser.get(lms.initiateLaunch({ clientId: registration.clientId, userSub: 'teacher-s', courseId: 'course-s' }).url));
      expect(landed.status).toBe(200);
      expect(new URL(landed.url).pathname).toBe('/app/instructor');
      expect(landed.text).toContain('Curso del servidor');
    } finally {
      await lms.close();
      await sello.close();
    }
  }, 120_000);
});
