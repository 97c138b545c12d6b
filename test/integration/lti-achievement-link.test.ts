/**
 * A badge link's `achievement_id` custom parameter is editable by teachers in the LMS and
 * achievement ids are public (credentials name them): a launch may attach only the
 * course's own achievement or one of its issuer's library, never another course's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandboxLms, ROLE, type Sandbox, type ToolRegistration } from '../../src/sandbox-lms/index.ts';
import { createBrowser } from '../support/sandbox-lms/browser.ts';
import { startTestSello, type RunningTestSello } from '../support/sandbox-lms/sello.ts';
import { createPlatformRepository, type Platform } from '../../src/storage/platform-repository.ts';
import { createOutcomeRepository } from '../../src/storage/outcome-repository.ts';
import { createAchievementRepository } from '../../src/storage/achievement-repository.ts';

describe("a badge link naming another course's achievement", () => {
  let lms: Sandbox;
  let sello: RunningTestSello;
  let registration: ToolRegistration;
  let platform: Platform;

  const launch = async (sub: string, courseId: string, custom?: Record<string, string>) => {
    const browser = createBrowser();
    const page = await browser.submit(
      await browser.get(lms.initiateLaunch({ clientId: registration.clientId, userSub: sub, courseId, resourceLinkId: `rl-${courseId}-badge`, custom }).url),
    );
    return new URL(page.url).searchParams.get('ltik')!;
  };
  const contextOf = async (courseId: string) => (await createOutcomeRepository(sello.db).findContextByLmsId(platform.id, courseId))!.id;

  beforeAll(async () => {
    lms = await startSandboxLms({ productFamily: 'moodle' });
    sello = await startTestSello({ env: { LTI_DYNREG_AUTO_APPROVE: 'true' } });
    lms.addUser({ sub: 'teacher-a', locale: 'en' });
    lms.addUser({ sub: 'teacher-b', locale: 'en' });
    lms.addCourse({ id: 'course-a', title: 'A' });
    lms.addCourse({ id: 'course-b', title: 'B' });
    lms.enroll('course-a', 'teacher-a', [ROLE.instructor]);
    lms.enroll('course-b', 'teacher-b', [ROLE.instructor]);
    await createBrowser().get(`${sello.url}/lti/register?openid_configuration=${encodeURIComponent(lms.openIdConfigurationUrl())}&registration_token=${lms.newRegistrationToken()}`);
    registration = [...lms.registrations.values()][0]!;
    platform = (await createPlatformRepository(sello.db).findByIssuerAndClient(lms.issuer, registration.clientId))!;
    await launch('teacher-a', 'course-a');
    await launch('teacher-b', 'course-b');
  }, 60_000);
  afterAll(async () => {
    await sello?.close();
    await lms?.close();
  });

  it("does not attach it, so the other course's instructors cannot open its editor", async () => {
    const achievements = createAchievementRepository(sello.db);
    const ofA = await achievements.create({ issuerId: platform.issuerId, contextId: await contextOf('course-a'), name: 'Only for A' });
    const ltikB = await launch('teacher-b', 'course-b', { achievement_id: ofA.id });
    expect(await achievements.findLink(ofA.id, await contextOf('course-b'))).toBeNull();
    const editor = await fetch(`${sello.url}/app/achievements/${ofA.id}/edit?ltik=${encodeURIComponent(ltikB)}`, { headers: { accept: 'application/json' } });
    expect(editor.status).toBe(404);
    expect(((await editor.json()) as { code: string }).code).toBe('achievement_not_found');
  });

  it("attaches the course's own achievement and one of the issuer's library", async () => {
    const achievements = createAchievementRepository(sello.db);
    const own = await achievements.create({ issuerId: platform.issuerId, contextId: await contextOf('course-b'), name: 'B badge' });
    await launch('teacher-b', 'course-b', { achievement_id: own.id });
    expect(await achievements.findLink(own.id, await contextOf('course-b'))).toMatchObject({ resourceLinkId: 'rl-course-b-badge' });
    const library = await achievements.create({ issuerId: platform.issuerId, contextId: null, name: 'Library badge' });
    await launch('teacher-b', 'course-b', { achievement_id: library.id });
    expect(await achievements.findLink(library.id, await contextOf('course-b'))).not.toBeNull();
  });
});
