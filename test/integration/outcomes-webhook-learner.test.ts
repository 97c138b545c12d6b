/**
 * Custom integrations without a roster: the signed webhook names the learner (name and
 * email) with the outcome, so the credential can be issued to someone Sello never saw in
 * a launch; a learner first sent without an email waits, parked, and is issued as soon as
 * a later delivery brings the email.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Express } from 'express';
import { buildApp } from '../../src/web/app.ts';
import { createLogger } from '../../src/logger.ts';
import { VERSION } from '../../src/version.ts';
import { outcomesWebhookRouter } from '../../src/web/lms/outcomes-webhook.ts';
import { createOutcomeSecretRepository } from '../../src/storage/outcome-secret-repository.ts';
import { createUserRepository } from '../../src/storage/user-repository.ts';
import { createAwardRepository } from '../../src/storage/award-repository.ts';
import { deliverOutcome, quizGradeBody } from '../support/issuance/webhook-delivery.ts';
import { openTestDatabase, type TestDatabase } from '../support/database.ts';
import { testConfig, testKek, testSecrets } from '../support/config.ts';
import { seedCourse, type CourseFixture } from '../support/issuance/course-fixture.ts';
import { createRecordingGradebook } from '../support/issuance/recording-gradebook.ts';
import { testPipelineWorker } from '../support/issuance/pipeline.ts';

const secret = 'whsec-learner-0123456789abcdef01234567';
let db: TestDatabase;
let app: Express;
let course: CourseFixture;
const gradebook = createRecordingGradebook();

beforeAll(async () => {
  db = await openTestDatabase();
  // A course whose LMS has no roster: nobody is enrolled in Sello.
  course = await seedCourse(db, { learners: [] });
  await createOutcomeSecretRepository({ db, kek: testKek }).setWebhookSecret(course.platformId, secret);
  const config = testConfig();
  app = buildApp({
    config,
    db,
    log: createLogger({ level: 'silent' }),
    secrets: testSecrets(config),
    version: VERSION,
    earlyMounts: [{ path: '/api/outcomes', handler: outcomesWebhookRouter({ db, kek: testKek, bodyLimit: '1mb' }) }],
  });
});
afterAll(async () => {
  await db.close();
});

const deliver = (key: string, fields: Record<string, unknown>) =>
  deliverOutcome(app, { platformId: course.platformId, secret, key, body: quizGradeBody(course.lmsContextId, fields) });
const awardOf = async (sub: string) => {
  const user = await createUserRepository(db).findBySub(course.platformId, sub);
  return user ? createAwardRepository(db).find(course.achievement.id, user.id) : null;
};

describe('POST /api/outcomes with the learner named', () => {
  it('issues the credential to a learner known only through the webhook', async () => {
    const res = await deliver('w-1', { learner: 'ext-17', learnerName: 'Iris Externa', learnerEmail: 'iris@partner.example' });
    expect(res.status).toBe(202);
    await testPipelineWorker(db, gradebook).runUntilIdle();
    expect(await createUserRepository(db).findBySub(course.platformId, 'ext-17')).toMatchObject({ name: 'Iris Externa', email: 'iris@partner.example' });
    expect((await awardOf('ext-17'))!.state).toBe('posted');
    expect(gradebook.posts.at(-1)).toMatchObject({ earned: true, learner: { sub: 'ext-17' } });
  });

  it('parks the award of a learner sent without an email at once, and issues it when a later delivery brings one', async () => {
    await deliver('w-2', { learner: 'ext-18' });
    await testPipelineWorker(db, gradebook).runUntilIdle();
    const award = (await awardOf('ext-18'))!;
    expect(award.state).toBe('awarded');
    const parked = await db.query<{ attempts: number; parked_reason: string }>(`SELECT attempts, parked_reason FROM issuance_jobs WHERE key = $1`, [award.id]);
    expect(parked.rows).toEqual([{ attempts: 1, parked_reason: 'recipient_unreachable' }]);

    await deliver('w-3', { learner: 'ext-18', learnerEmail: 'ext18@partner.example', score: 95 });
    await testPipelineWorker(db, gradebook).runUntilIdle();
    expect((await awardOf('ext-18'))!.state).toBe('posted');
  });

  it('refuses a malformed learner email with 400 and stores nothing', async () => {
    const res = await deliver('w-4', { learner: 'ext-19', learnerEmail: 'not-an-email' });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('invalid_outcome_event');
    expect(await createUserRepository(db).findBySub(course.platformId, 'ext-19')).toBeNull();
  });
});
