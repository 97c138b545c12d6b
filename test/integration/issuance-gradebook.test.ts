/**
 * The whole loop against the sandbox LMS over real HTTP: the instructor grades a quiz in
 * the LMS, Sello reads the AGS results, issues one credential, and the badge score with
 * its verification link lands in the LMS gradebook on the achievement's own line item.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandboxLms, ROLE, type Sandbox, type ToolRegistration } from '../../src/sandbox-lms/index.ts';
import { createBrowser } from '../support/sandbox-lms/browser.ts';
import { startTestSello, type RunningTestSello } from '../support/sandbox-lms/sello.ts';
import { createPlatformRepository, type Platform } from '../../src/storage/platform-repository.ts';
import { createAchievementRepository, type Achievement } from '../../src/storage/achievement-repository.ts';
import { createOutcomeRepository, type OutcomeContext } from '../../src/storage/outcome-repository.ts';
import { createUserRepository } from '../../src/storage/user-repository.ts';
import { createIssuanceWorker } from '../../src/issuance/issuance-worker.ts';
import { createIssueCredentialSigner } from '../../src/issuance/credential-signer.ts';
import { createIssuerKeyProvider } from '../../src/issuance/issuer-keys.ts';
import { createAgsGradebook, badgeResourceId } from '../../src/issuance/ags-gradebook.ts';
import { readAgsResults } from '../../src/outcomes/ags-results-sync.ts';
import { syncContext } from '../../src/outcomes/sync-context.ts';
import { createLogger } from '../../src/logger.ts';

describe('issuance into the LMS gradebook', () => {
  let lms: Sandbox;
  let sello: RunningTestSello;
  let registration: ToolRegistration;
  let platform: Platform;
  let context: OutcomeContext;
  let achievement: Achievement;
  let quizLineItem: string;

  const sync = () =>
    syncContext({
      db: sello.db,
      contextId: context.id,
      readers: { ags: (ctx) => readAgsResults({ ags: sello.lti.services.ags(ctx.platformId), context: ctx, now: () => new Date() }) },
      now: () => new Date(),
    });
  const worker = () =>
    createIssuanceWorker({
      db: sello.db,
      signer: createIssueCredentialSigner({
        keys: createIssuerKeyProvider({ db: sello.db, kek: sello.config.secrets.keyEncryptionKey!, publicUrl: sello.url }),
        publicUrl: sello.url,
        chainReference: null,
      }),
      gradebook: createAgsGradebook({ db: sello.db, services: sello.lti.services }),
      publicUrl: sello.url,
      defaultLocale: 'en',
      log: createLogger({ level: 'silent' }),
      concurrency: 2,
      maxAttempts: 3,
      baseBackoffMs: 1,
    });
  const grade = (sub: string, score: number) => {
    const id = `${quizLineItem}/results/${sub}`;
    lms.results.set(id, {
      id,
      scoreOf: quizLineItem,
      userId: sub,
      resultScore: score,
      resultMaximum: 20,
      timestamp: new Date().toISOString(),
      activityProgress: 'Completed',
      gradingProgress: 'FullyGraded',
      extensions: {},
    });
  };

  beforeAll(async () => {
    lms = await startSandboxLms({ productFamily: 'moodle', pageSize: 2 });
    sello = await startTestSello({ env: { LTI_DYNREG_AUTO_APPROVE: 'true' }, sleep: async () => {} });
    lms.addUser({ sub: 'teacher-1', name: 'Ana Profesora', locale: 'es-CR' });
    lms.addUser({ sub: 'luis', name: 'Luis Estudiante', email: 'luis@uni.example', locale: 'es' });
    lms.addUser({ sub: 'maria', name: 'María Estudiante', email: 'maria@uni.example', locale: 'es' });
    lms.addCourse({ id: 'course-q', title: 'Química General', label: 'QG-101' });
    lms.enroll('course-q', 'teacher-1', [ROLE.instructor]);
    lms.enroll('course-q', 'luis', [ROLE.learner]);
    lms.enroll('course-q', 'maria', [ROLE.learner]);

    const browser = createBrowser();
    const token = lms.newRegistrationToken();
    await browser.get(`${sello.url}/lti/register?openid_configuration=${encodeURIComponent(lms.openIdConfigurationUrl())}&registration_token=${token}`);
    registration = [...lms.registrations.values()][0]!;
    platform = (await createPlatformRepository(sello.db).findByIssuerAndClient(lms.issuer, registration.clientId))!;
    if (platform.status !== 'active') {
      await fetch(`${sello.url}/admin/api/platforms/${platform.id}/approve`, { method: 'POST', headers: { authorization: `Bearer ${sello.adminToken}` } });
    }
    // Each learner launches once (that is how Sello learns who they are and where AGS is).
    for (const sub of ['teacher-1', 'luis', 'maria']) {
      const b = createBrowser();
      await b.submit(await b.get(lms.initiateLaunch({ clientId: registration.clientId, userSub: sub, courseId: 'course-q' }).url));
    }
    context = (await createOutcomeRepository(sello.db).findContextByLmsId(platform.id, 'course-q'))!;
    const quiz = await sello.lti.services
      .ags(platform.id)
      .findOrCreateLineItem(context.agsLineItemsUrl!, { label: 'Quiz 3', scoreMaximum: 20, resourceId: 'quiz-3' });
    quizLineItem = quiz.id;
    achievement = await createAchievementRepository(sello.db).create({
      issuerId: platform.issuerId,
      contextId: context.id,
      name: 'Laboratorio seguro',
      criteria: { kind: 'all', rules: [{ kind: 'score', activity: `lineitem:${quizLineItem}`, label: 'Quiz 3', minPercent: 80 }] },
    });
  }, 120_000);
  afterAll(async () => {
    await sello?.close();
    await lms?.close();
  });

  it('posts the badge with its verification link to the LMS when a graded quiz crosses the threshold, and only then', async () => {
    grade('luis', 17); // 85%
    grade('maria', 14); // 70%
    const report = await sync();
    expect(report.sources.ags).toEqual({ batches: 1 });
    expect(report.total.queued).toBe(2);
    await worker().runUntilIdle();

    const badgeItem = [...lms.lineItems.values()].find((item) => item.resourceId === badgeResourceId(achievement.id))!;
    expect(badgeItem).toMatchObject({ label: 'Badge: Laboratorio seguro', scoreMaximum: 100, courseId: 'course-q' });
    const scores = [...lms.results.values()].filter((result) => result.scoreOf === badgeItem.id);
    expect(scores).toHaveLength(1);
    const { rows } = await sello.db.query<{ id: string }>('SELECT id FROM credentials');
    expect(rows).toHaveLength(1);
    const link = `${sello.url}/credentials/${encodeURIComponent(rows[0]!.id)}`;
    // No grade: the badge must not change the course total; the link rides in the comment.
    expect(scores[0]).toMatchObject({ userId: 'luis', activityProgress: 'Completed', gradingProgress: 'FullyGraded' });
    expect(scores[0]!.resultScore).toBeUndefined();
    const comment = context.locale?.startsWith('es') ? `Insignia obtenida: Laboratorio seguro — ${link}` : `Badge earned: Laboratorio seguro — ${link}`;
    expect(scores[0]!.comment).toBe(comment);
  });

  it('reads its own badge result back on the next sync and changes nothing', async () => {
    const before = lms.log.filter((entry) => entry.method === 'POST' && entry.path.endsWith('/scores')).length;
    const report = await sync();
    expect(report.total.queued).toBe(0); // the badge column's result has no grade to read
    expect(await worker().runUntilIdle()).toBe(0);
    const after = lms.log.filter((entry) => entry.method === 'POST' && entry.path.endsWith('/scores')).length;
    expect(after).toBe(before);
    const again = await sync();
    expect(again.total).toMatchObject({ changed: 0, queued: 0 });
  });

  it('awards the badge when the instructor grades the badge line item itself', async () => {
    const badgeItem = [...lms.lineItems.values()].find((item) => item.resourceId === badgeResourceId(achievement.id))!;
    const id = `${badgeItem.id}/results/maria`;
    lms.results.set(id, { id, scoreOf: badgeItem.id, userId: 'maria', resultScore: 100, resultMaximum: 100, timestamp: new Date().toISOString(), activityProgress: 'Completed', gradingProgress: 'FullyGraded', extensions: {} });
    await sync();
    await worker().runUntilIdle();
    const { rows } = await sello.db.query<{ n: number }>('SELECT count(*)::int AS n FROM credentials');
    expect(rows[0]!.n).toBe(2);
    expect(lms.results.get(id)!.comment).toContain(`${sello.url}/credentials/`);
  });

  it('creates one badge line item when two Sello processes post the first badges of an achievement at once', async () => {
    const fresh = await createAchievementRepository(sello.db).create({
      issuerId: platform.issuerId,
      contextId: context.id,
      name: 'Trabajo en equipo',
      criteria: { kind: 'all', rules: [{ kind: 'score', activity: `lineitem:${quizLineItem}`, label: 'Quiz 3', minPercent: 90 }] },
    });
    const users = createUserRepository(sello.db);
    // Two gradebooks are what two processes have: neither knows the other is creating.
    const gradebooks = [createAgsGradebook({ db: sello.db, services: sello.lti.services }), createAgsGradebook({ db: sello.db, services: sello.lti.services })];
    const learners = [(await users.findBySub(platform.id, 'luis'))!, (await users.findBySub(platform.id, 'maria'))!];
    const posted = await Promise.all(
      learners.map((learner, i) =>
        gradebooks[i]!.postBadge({
          context,
          achievement: fresh,
          learner,
          lineItemUrl: null,
          earned: true,
          comment: `Insignia obtenida: ${fresh.name}`,
          verificationUrl: null,
          timestamp: new Date(),
        }),
      ),
    );
    const items = [...lms.lineItems.values()].filter((item) => item.resourceId === badgeResourceId(fresh.id));
    expect(items).toHaveLength(1);
    expect(posted.map((result) => result.lineItemUrl)).toEqual([items[0]!.id, items[0]!.id]);
    expect((await createAchievementRepository(sello.db).findLink(fresh.id, context.id))!.lineItemUrl).toBe(items[0]!.id);
    const scored = [...lms.results.values()].filter((result) => result.scoreOf === items[0]!.id).map((result) => result.userId);
    expect(scored.sort()).toEqual(['luis', 'maria']);
  });
});
