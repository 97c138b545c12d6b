import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import type { Express } from 'express';
import { buildApp } from '../../src/web/app.ts';
import { createLogger } from '../../src/logger.ts';
import { VERSION } from '../../src/version.ts';
import { issuanceAdminRouter } from '../../src/web/instructor/achievements.ts';
import { createAuditRepository } from '../../src/storage/audit-repository.ts';
import { createUserRepository } from '../../src/storage/user-repository.ts';
import { createEnrollmentRepository } from '../../src/storage/enrollment-repository.ts';
import { createCredentialRepository } from '../../src/storage/credential-repository.ts';
import { openTestDatabase, type TestDatabase } from '../support/database.ts';
import { testConfig, testSecrets } from '../support/config.ts';
import { seedCourse, type CourseFixture } from '../support/issuance/course-fixture.ts';
import { createRecordingGradebook, type RecordingGradebook } from '../support/issuance/recording-gradebook.ts';
import { testPipelineWorker } from '../support/issuance/pipeline.ts';

const admin = { authorization: 'Bearer test-admin-token-0123456789abcdef' };
let db: TestDatabase;
let app: Express;
let course: CourseFixture;
let gradebook: RecordingGradebook;
let pokes = 0;

beforeAll(async () => {
  db = await openTestDatabase();
  course = await seedCourse(db);
  gradebook = createRecordingGradebook();
  const config = testConfig();
  app = buildApp({
    config,
    db,
    log: createLogger({ level: 'silent' }),
    secrets: testSecrets(config),
    version: VERSION,
    routers: [issuanceAdminRouter({ db, adminToken: config.secrets.adminToken!, poke: () => (pokes += 1) })],
  });
});
afterAll(async () => {
  await db.close();
});

const learner = async (sub: string) => (await createUserRepository(db).findBySub(course.platformId, sub))!;

describe('issuance admin API', () => {
  it('refuses requests without the admin token', async () => {
    const res = await request(app).get('/api/issuance/status');
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('unauthorized');
  });

  it('awards by hand through the pipeline and records who, when and why', async () => {
    const ana = await learner('ana');
    const res = await request(app)
      .post('/api/awards')
      .set(admin)
      .send({ achievementId: course.achievement.id, userId: ana.id, reason: 'Completed the lab in person' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ state: 'awarded', origin: 'manual', awardedBy: 'admin', reason: 'Completed the lab in person' });
    expect(pokes).toBe(1);
    await testPipelineWorker(db, gradebook).runUntilIdle();
    const status = await request(app).get('/api/issuance/status').set(admin);
    expect(status.body.awards).toMatchObject({ posted: 1 });
    const audit = await createAuditRepository(db).listForSubject(res.body.id);
    expect(audit).toEqual([expect.objectContaining({ actor: 'admin', action: 'award.granted', reason: 'Completed the lab in person' })]);
    expect(gradebook.posts).toHaveLength(1);
  });

  it('never awards by hand to an instructor of the course, through the API as through the pages', async () => {
    const teacher = await createUserRepository(db).upsert({ platformId: course.platformId, sub: 'teacher-1', name: 'Profe', email: 'profe@u.example' });
    await createEnrollmentRepository(db).upsert({ contextId: course.contextId, userId: teacher.id, roles: ['http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor'] });
    const res = await request(app).post('/api/awards').set(admin).send({ achievementId: course.achievement.id, userId: teacher.id, reason: 'Taught it well' });
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ code: 'learner_not_found', details: { reason: 'instructor' } });
    const rows = await request(app).get(`/api/achievements/${course.achievement.id}/awards`).set(admin);
    expect(rows.body.awards.map((award: { userId: string }) => award.userId)).not.toContain(teacher.id);
  });

  it('refuses a second award of the same badge, an award without a reason, and unknown ids', async () => {
    const ana = await learner('ana');
    const twice = await request(app).post('/api/awards').set(admin).send({ achievementId: course.achievement.id, userId: ana.id, reason: 'Again please' });
    expect(twice.status).toBe(409);
    expect(twice.body.code).toBe('already_awarded');
    const beto = await learner('beto');
    const noReason = await request(app).post('/api/awards').set(admin).send({ achievementId: course.achievement.id, userId: beto.id, reason: ' ' });
    expect(noReason.status).toBe(400);
    expect(noReason.body.code).toBe('invalid_award_request');
    const badBody = await request(app).post('/api/awards').set(admin).send({ achievementId: 'x', userId: beto.id, reason: 'fine reason' });
    expect(badBody.status).toBe(400);
    expect(badBody.body.details.problems[0].path).toBe('achievementId');
    const unknown = await request(app)
      .post('/api/awards')
      .set(admin)
      .send({ achievementId: '00000000-0000-4000-8000-000000000000', userId: beto.id, reason: 'fine reason' });
    expect(unknown.status).toBe(404);
    const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM awards');
    expect(rows[0]!.n).toBe(1);
  });

  it('revokes by hand with a reason: status list bit set, gradebook score zeroed, audit-logged', async () => {
    const { rows } = await db.query<{ id: string; credential_id: string }>('SELECT id, credential_id FROM awards');
    const noReason = await request(app).post(`/api/awards/${rows[0]!.id}/revoke`).set(admin).send({ reason: '' });
    expect(noReason.status).toBe(400);
    const res = await request(app).post(`/api/awards/${rows[0]!.id}/revoke`).set(admin).send({ reason: 'Academic misconduct' });
    expect(res.status).toBe(200);
    expect(res.body.state).toBe('revoking');
    await testPipelineWorker(db, gradebook).runUntilIdle();
    expect((await createCredentialRepository(db).findStatus(rows[0]!.credential_id))?.revoked).toBe(true);
    expect(gradebook.posts.at(-1)).toMatchObject({ earned: false, comment: 'Badge revoked: Data Literacy' });
    const again = await request(app).post(`/api/awards/${rows[0]!.id}/revoke`).set(admin).send({ reason: 'Twice' });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('award_state_conflict');
    const audit = await createAuditRepository(db).listForSubject(rows[0]!.id);
    expect(audit.map((entry) => entry.action)).toEqual(['award.granted', 'award.revoked']);
  });

  it('grants a revoked badge again with a new credential', async () => {
    const ana = await learner('ana');
    const res = await request(app).post('/api/awards').set(admin).send({ achievementId: course.achievement.id, userId: ana.id, reason: 'Appeal upheld' });
    expect(res.status).toBe(201);
    expect(res.body.generation).toBe(2);
    await testPipelineWorker(db, gradebook).runUntilIdle();
    const { rows } = await db.query<{ id: string }>('SELECT id FROM credentials ORDER BY created_at');
    expect(rows).toHaveLength(2);
    expect(gradebook.posts.at(-1)).toMatchObject({ earned: true });
  });

  it('lists failed jobs with their last error and retries one', async () => {
    const beto = await learner('beto');
    gradebook.failNext(10);
    await request(app).post('/api/awards').set(admin).send({ achievementId: course.achievement.id, userId: beto.id, reason: 'Make-up exam' });
    const worker = testPipelineWorker(db, gradebook);
    for (let i = 0; i < 8; i += 1) {
      await worker.runUntilIdle();
      await new Promise((resolve) => setTimeout(resolve, 15));
    }
    const status = await request(app).get('/api/issuance/status').set(admin);
    expect(status.body.failed).toEqual([expect.objectContaining({ kind: 'advance_award', attempts: 3, lastError: expect.stringContaining('ECONNREFUSED') })]);
    gradebook.failNext(0);
    const retried = await request(app).post(`/api/issuance/jobs/${status.body.failed[0].id}/retry`).set(admin);
    expect(retried.body).toEqual({ retried: true });
    await worker.runUntilIdle();
    expect((await request(app).get('/api/issuance/status').set(admin)).body.failed).toEqual([]);
    const missing = await request(app).post('/api/issuance/jobs/999999/retry').set(admin);
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('job_not_found');
  });
});
