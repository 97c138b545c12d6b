/**
 * LTI figures, over real HTTP against the sandbox LMS on the database the environment
 * names (PGlite by default, PostgreSQL with DATABASE_URL): a full launch (OIDC login →
 * platform auth → id_token check → recorded → landing page), a Deep Linking response,
 * and an AGS score post + read back.
 */
import { startSandboxLms, ROLE } from '../src/sandbox-lms/index.ts';
import { createBrowser } from '../test/support/sandbox-lms/browser.ts';
import { startTestSello } from '../test/support/sandbox-lms/sello.ts';
import { createPlatformRepository } from '../src/storage/platform-repository.ts';

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return Number(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!.toFixed(1));
};

export default async function ltiBench(): Promise<Record<string, unknown>> {
  const lms = await startSandboxLms({ pageSize: 50 });
  const sello = await startTestSello();
  try {
    const registration = lms.registerToolManually({ loginUrl: `${sello.url}/lti/login`, launchUrl: `${sello.url}/lti/launch`, jwksUrl: `${sello.url}/lti/keys`, deploymentId: '1' });
    const started = performance.now();
    const added = await fetch(`${sello.url}/admin/api/platforms`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sello.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ issuer: lms.issuer, clientId: registration.clientId, authUrl: `${lms.url}/auth`, tokenUrl: `${lms.url}/token`, jwksUrl: `${lms.url}/jwks`, deploymentId: '1' }),
    });
    const registerMs = performance.now() - started;
    if (added.status !== 201) throw new Error(`registration failed: ${added.status}`);
    lms.addCourse({ id: 'bench', title: 'Bench' });
    for (let i = 0; i < 100; i += 1) {
      lms.addUser({ sub: `u${i}` });
      lms.enroll('bench', `u${i}`, [i === 0 ? ROLE.instructor : ROLE.learner]);
    }
    const launchMs: number[] = [];
    for (let i = 0; i < 100; i += 1) {
      const browser = createBrowser();
      const t0 = performance.now();
      const landed = await browser.submit(await browser.get(lms.initiateLaunch({ clientId: registration.clientId, userSub: `u${i}`, courseId: 'bench' }).url));
      launchMs.push(performance.now() - t0);
      if (landed.status !== 200) throw new Error(`launch ${i} failed: ${landed.status}`);
    }
    const [platform] = await createPlatformRepository(sello.db).list();
    const ags = sello.lti.services.ags(platform!.id);
    const lineItem = await ags.findOrCreateLineItem(`${lms.url}/courses/bench/lineitems`, { label: 'Badge: bench', scoreMaximum: 100, resourceId: 'bench' });
    const scoreMs: number[] = [];
    for (let i = 1; i < 51; i += 1) {
      const t0 = performance.now();
      await ags.postScore(lineItem.id, { userId: `u${i}`, scoreGiven: 100, scoreMaximum: 100, activityProgress: 'Completed', gradingProgress: 'FullyGraded', comment: 'bench' });
      scoreMs.push(performance.now() - t0);
    }
    const t0 = performance.now();
    const roster = await sello.lti.services.nrps(platform!.id).getMembers(`${lms.url}/courses/bench/memberships`);
    const rosterMs = performance.now() - t0;
    return {
      lti_database: sello.db.kind,
      lti_register_platform_ms: Number(registerMs.toFixed(0)),
      lti_launch_p50_ms: percentile(launchMs, 50),
      lti_launch_p95_ms: percentile(launchMs, 95),
      lti_ags_score_p50_ms: percentile(scoreMs, 50),
      lti_access_tokens_fetched: sello.lti.services.client.tokensFetched,
      lti_nrps_roster_100_members_ms: Number(rosterMs.toFixed(1)),
      lti_nrps_roster_members: roster.members.length,
      lti_jwks_fetches_for_100_launches: sello.lti.platformKeys.fetches,
    };
  } finally {
    await sello.close();
    await lms.close();
  }
}
