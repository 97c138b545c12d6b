import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminOutcomeSourcesRouter } from '../../src/web/routes/admin-outcome-sources.ts';
import { outcomesWebhookRouter } from '../../src/web/routes/outcomes-webhook.ts';
import { signWebhookBody } from '../../src/outcomes/webhook-signature.ts';
import { createOutcomeSecretRepository } from '../../src/storage/outcome-secret-repository.ts';
import { testConfig, testKek, testSecrets } from '../support/config.ts';
import { createLogger } from '../../src/logger.ts';
import { VERSION } from '../../src/version.ts';
import { openTestDatabase, type TestDatabase } from '../support/database.ts';
import { seedCourse, type CourseFixture } from '../support/issuance/course-fixture.ts';
import { buildApp } from '../../src/web/app.ts';

describe('admin API for outcome sources', () => {
  let db: TestDatabase;
  let course: CourseFixture;
  let app: ReturnType<typeof buildApp>;
  let adminToken: string;

  beforeAll(async () => {
    db = await openTestDatabase();
    course = await seedCourse(db);
    const config = testConfig();
    const secrets = testSecrets(config);
    adminToken = secrets.adminToken;
    app = buildApp({
      config,
      secrets,
      log: createLogger({ level: 'silent' }),
      version: VERSION,
      db,
      earlyMounts: [{ path: '/api/outcomes', handler: outcomesWebhookRouter({ db, kek: testKek, bodyLimit: '1mb' }) }],
      routers: [adminOutcomeSourcesRouter({ db, kek: testKek, adminToken })],
    });
  });
  afterAll(() => db.close());

  const admin = (req: request.Test) => req.set('authorization', `Bearer ${adminToken}`).set('accept', 'application/json');

  it('sets a Moodle connector and never returns its token', async () => {
    const res = await admin(request(app).put(`/admin/api/platforms/${course.platformId}/connector`)).send({
      kind: 'moodle',
      baseUrl: 'https://moodle.uni.example/',
      token: 'ws-token-0123456789',
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ platformId: course.platformId, kind: 'moodle', baseUrl: 'https://moodle.uni.example' });
    expect(JSON.stringify(res.body)).not.toContain('ws-token');
    expect(await createOutcomeSecretRepository({ db, kek: testKek }).findConnector(course.platformId)).toMatchObject({
      kind: 'moodle',
      baseUrl: 'https://moodle.uni.example',
      token: 'ws-token-0123456789',
    });
  });

  it('keeps the token it was given only encrypted in the database', async () => {
    const { rows } = await db.query<{ token: string | null; encrypted_token: string }>('SELECT token, encrypted_token FROM outcome_connectors WHERE platform_id = $1', [
      course.platformId,
    ]);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.token).toBeNull();
    expect(rows[0]!.encrypted_token).toMatch(/^v1\./);
    expect(rows[0]!.encrypted_token).not.toContain('ws-token');
    expect(Buffer.from(rows[0]!.encrypted_token.split('.')[3]!, 'base64').toString('latin1')).not.toContain('ws-token');
  });

  it('does not echo the token when it refuses a connector', async () => {
    const res = await admin(request(app).put(`/admin/api/platforms/${course.platformId}/connector`)).send({
      kind: 'moodle',
      baseUrl: 'not a url',
      token: 'refused-token-0123456789',
    });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).not.toContain('refused-token');
  });

  it('refuses a bad connector with the problems named, and keeps the one it had', async () => {
    const res = await admin(request(app).put(`/admin/api/platforms/${course.platformId}/connector`)).send({ kind: 'blackboard', baseUrl: 'ftp://x' });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('invalid_request');
    expect(res.body.details.problems.join(' ')).toMatch(/kind/);
    expect(res.body.details.problems.join(' ')).toMatch(/token/);
    expect((await createOutcomeSecretRepository({ db, kek: testKek }).findConnector(course.platformId))?.kind).toBe('moodle');
  });

  it('answers 404 for an unknown platform and 401 without the admin token', async () => {
    const unknown = await admin(request(app).post('/admin/api/platforms/00000000-0000-4000-8000-000000000000/webhook-secret'));
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('not_found');
    const anonymous = await request(app).post(`/admin/api/platforms/${course.platformId}/webhook-secret`).set('accept', 'application/json');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.code).toBe('unauthorized');
  });

  it('makes a webhook secret that signs accepted deliveries, and a new one retires the old', async () => {
    const first = await admin(request(app).post(`/admin/api/platforms/${course.platformId}/webhook-secret`));
    expect(first.status).toBe(201);
    expect(first.body.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    const deliver = (secret: string, key: string) => {
      const body = JSON.stringify({ context: course.lmsContextId, learner: 'ana', activity: 'quiz3', score: 90, max: 100, at: new Date().toISOString() });
      const timestamp = Math.floor(Date.now() / 1000);
      return request(app)
        .post('/api/outcomes')
        .set('content-type', 'application/json')
        .set('x-sello-platform', course.platformId)
        .set('x-sello-timestamp', String(timestamp))
        .set('x-sello-signature', signWebhookBody({ secret, timestamp, body }))
        .set('idempotency-key', key)
        .send(body);
    };
    expect((await deliver(first.body.secret, 'a-1')).status).toBe(202);
    const second = await admin(request(app).post(`/admin/api/platforms/${course.platformId}/webhook-secret`));
    expect(second.body.secret).not.toBe(first.body.secret);
    const stale = await deliver(first.body.secret, 'a-2');
    expect(stale.status).toBe(401);
    expect(stale.body.code).toBe('webhook_signature_unauthorized');
    expect((await deliver(second.body.secret, 'a-3')).status).toBe(202);
  });

  it('keeps the webhook secret it showed only encrypted in the database', async () => {
    const made = await admin(request(app).post(`/admin/api/platforms/${course.platformId}/webhook-secret`));
    const { rows } = await db.query<{ secret: string | null; encrypted_secret: string }>(
      'SELECT secret, encrypted_secret FROM outcome_webhook_secrets WHERE platform_id = $1',
      [course.platformId],
    );
    expect(rows[0]!.secret).toBeNull();
    expect(rows[0]!.encrypted_secret).toMatch(/^v1\./);
    expect(rows[0]!.encrypted_secret).not.toContain(made.body.secret.slice('whsec_'.length));
  });
});
