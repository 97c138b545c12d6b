/**
 * A course of `learners` learners who have all just passed its quiz (18/20 against an
 * 80% badge), registered and launched through the sandbox LMS as a real LMS would: the
 * starting point of the issuance bench and of the scale-out test. The roster is written
 * as NRPS would give it (names and emails to issue to); grading is not yet read by Sello.
 */
import type { Sandbox } from '../../../src/sandbox-lms/index.ts';
import { ROLE } from '../../../src/sandbox-lms/index.ts';
import { createPlatformRepository, type Platform } from '../../../src/storage/platform-repository.ts';
import { createAchievementRepository, type Achievement } from '../../../src/storage/achievement-repository.ts';
import { createOutcomeRepository } from '../../../src/storage/outcome-repository.ts';
import { createUserRepository } from '../../../src/storage/user-repository.ts';
import { createIssuerKeyProvider, type IssuerKeyProvider } from '../../../src/issuance/issuer-keys.ts';
import { createBrowser } from '../sandbox-lms/browser.ts';
import type { RunningTestSello } from '../sandbox-lms/sello.ts';

export interface GradedBigCourse {
  platform: Platform;
  contextId: string;
  achievement: Achievement;
  /** The badge's gradebook column (AGS line item URL). */
  badgeLineItemId: string;
  keys: IssuerKeyProvider;
}

export async function seedGradedBigCourse(lms: Sandbox, sello: RunningTestSello, learners: number): Promise<GradedBigCourse> {
  lms.addUser({ sub: 'teacher', name: 'Teacher' });
  lms.addCourse({ id: 'big', title: 'Big course' });
  lms.enroll('big', 'teacher', [ROLE.instructor]);
  for (let i = 0; i < learners; i += 1) {
    lms.addUser({ sub: `l${i}`, name: `Learner ${i}`, email: `l${i}@u.example` });
    lms.enroll('big', `l${i}`, [ROLE.learner]);
  }
  const browser = createBrowser();
  await browser.get(`${sello.url}/lti/register?openid_configuration=${encodeURIComponent(lms.openIdConfigurationUrl())}&registration_token=${lms.newRegistrationToken()}`);
  const registration = [...lms.registrations.values()][0]!;
  const platform = (await createPlatformRepository(sello.db).findByIssuerAndClient(lms.issuer, registration.clientId))!;
  await browser.submit(await browser.get(lms.initiateLaunch({ clientId: registration.clientId, userSub: 'teacher', courseId: 'big' }).url));
  const context = (await createOutcomeRepository(sello.db).findContextByLmsId(platform.id, 'big'))!;
  const users = createUserRepository(sello.db);
  for (let i = 0; i < learners; i += 1) await users.upsert({ platformId: platform.id, sub: `l${i}`, name: `Learner ${i}`, email: `l${i}@u.example` });
  const ags = sello.lti.services.ags(platform.id);
  const quiz = await ags.findOrCreateLineItem(context.agsLineItemsUrl!, { label: 'Final quiz', scoreMaximum: 20, resourceId: 'final-quiz' });
  const badge = await ags.findOrCreateLineItem(context.agsLineItemsUrl!, { label: 'Badge: Big badge', scoreMaximum: 100, resourceId: 'big-badge' });
  const achievements = createAchievementRepository(sello.db);
  const achievement = await achievements.create({
    issuerId: platform.issuerId,
    contextId: context.id,
    name: 'Big badge',
    criteria: { kind: 'all', rules: [{ kind: 'score', activity: `lineitem:${quiz.id}`, minPercent: 80 }] },
  });
  await achievements.link({ achievementId: achievement.id, contextId: context.id, resourceLinkId: null, lineItemUrl: badge.id });
  const keys = createIssuerKeyProvider({ db: sello.db, kek: sello.config.secrets.keyEncryptionKey!, publicUrl: sello.url });
  await keys.ensureKey(platform.issuerId);
  // Every grade crosses the threshold at once.
  const gradedAt = new Date().toISOString();
  for (let i = 0; i < learners; i += 1) {
    const id = `${quiz.id}/results/l${i}`;
    lms.results.set(id, { id, scoreOf: quiz.id, userId: `l${i}`, resultScore: 18, resultMaximum: 20, timestamp: gradedAt, activityProgress: 'Completed', gradingProgress: 'FullyGraded', extensions: {} });
  }
  return { platform, contextId: context.id, achievement, keys, badgeLineItemId: badge.id };
}
