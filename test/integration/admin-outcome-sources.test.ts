import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminOutcomeSourcesRouter } from '../../src/web/admin/outcome-sources.ts';
import { outcomesWebhookRouter } from '../../src/web/lms/outcomes-webhook.ts';
import { deliverOutcome, quizGradeBody } from '../support/issuance/webhook-delivery.ts';
import { createOutcomeSecretRepository } from '../../src/storage/outcome-secret-repository.ts';
import { testConfig, testKek, testSecrets } from '../support/config.ts';
import { createLogger } from '../../src/logger.ts';
import { VERSION } from '../../src/version.ts';
import { openTestDatabase, type TestDatabase } from '../support/database.ts';
import { seedCourse, type CourseFixture } from '../support/issuance/course-fixture.ts';
import { buildApp } from '../../src/web/app.ts';

/** The app with the outcome-sources admin API (and, when asked, the webhook it configures). */
function outcomeSourcesApp(db: TestDatabase, { withWebhook = false } = {}) {
  const config = testConfig();
  const secrets = testSecrets(config);
  const adminToken = secrets.adminToken;
  const app = buildApp({
    config,
    secrets,
    log: createLogger({ level: 'silent' }),
    version: VERSION,
    db,
    earlyMounts: withWebhook ? [{ path: '/api/outcomes', handler: outcomesWebhookRouter({ db, kek: testKek, bodyLimit: '1mb' }) }] : [],
    routers: [adminOutcomeSourcesRouter({ db, kek: testKek, adminToken })],
  });
  return { app, adminToken };
}

describe('admin API for outcome sources', () => {
  let db: TestDatabase;
  let course: CourseFixture;
  let app: ReturnType<typeof buildApp>;
  let adminToken: string;

  beforeAll(async () => {
    db = await openTestDatabase();
    course = await seedCourse(db);
    ({ app, adminToken } = outcomeSourcesApp(db, { withWebhook: true }));
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
    const deliver = (secret: string, key: string) =>
      deliverOutcome(app, { platformId: course.platformId, secret, key, body: quizGradeBody(course.lmsContextId) });
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

describe('admin API showing what outcome sources a platform has', () => {
  let db: TestDatabase;
  let app: ReturnType<typeof buildApp>;
  let adminToken: string;
  let platformCount = 0;

  beforeAll(async () => {
    db = await openTestDatabase();
    ({ app, adminToken } = outcomeSourcesApp(db));
  });
  afterAll(() => db.close());

  const admin = (req: request.Test) => req.set('authorization', `Bearer ${adminToken}`).set('accept', 'application/json');
  // Each scenario gets a platform of its own, so none depends on what another configured.
  const freshPlatform = async () => {
    platformCount += 1;
    return (await seedCourse(db, { platform: { iss: `https://lms-${platformCount}.example`, clientId: `client-${platformCount}` } })).platformId;
  };

  it('shows the connector kind and base URL and that a token and a webhook secret are set', async () => {
    const platformId = await freshPlatform();
    await admin(request(app).put(`/admin/api/platforms/${platformId}/connector`)).send({
      kind: 'canvas',
      baseUrl: 'https://canvas.uni.example',
      token: 'canvas-token-0123456789',
    });
    await admin(request(app).post(`/admin/api/platforms/${platformId}/webhook-secret`));
    const res = await admin(request(app).get(`/admin/api/platforms/${platformId}/outcome-sources`));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      platformId,
      connector: { kind: 'canvas', baseUrl: 'https://canvas.uni.example', tokenSet: true, updatedAt: expect.any(String) },
      webhook: { secretSet: true, createdAt: expect.any(String) },
    });
    expect(Number.isNaN(Date.parse(res.body.connector.updatedAt))).toBe(false);
    expect(Number.isNaN(Date.parse(res.body.webhook.createdAt))).toBe(false);
  });

  it('shows no connector and no webhook secret on a platform that has neither', async () => {
    const platformId = await freshPlatform();
    const res = await admin(request(app).get(`/admin/api/platforms/${platformId}/outcome-sources`));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ platformId, connector: null, webhook: { secretSet: false } });
  });

  it('never shows the connector token or the webhook secret', async () => {
    const platformId = await freshPlatform();
    await admin(request(app).put(`/admin/api/platforms/${platformId}/connector`)).send({
      kind: 'moodle',
      baseUrl: 'https://moodle.uni.example',
      token: 'never-shown-token-0123456789',
    });
    const made = await admin(request(app).post(`/admin/api/platforms/${platformId}/webhook-secret`));
    const res = await admin(request(app).get(`/admin/api/platforms/${platformId}/outcome-sources`));
    expect(res.status).toBe(200);
    expect(res.text).not.toContain('never-shown-token');
    expect(res.text).not.toContain(made.body.secret);
    expect(res.text).not.toContain(made.body.secret.slice('whsec_'.length));
    expect(res.text).not.toMatch(/v1\./);
  });

  it('shows a plaintext row from before encryption as set, without sealing or returning it', async () => {
    const platformId = await freshPlatform();
    await db.query(`INSERT INTO outcome_connectors (platform_id, kind, base_url, token) VALUES ($1, 'moodle', 'https://old.example', 'legacy-token-0123456789')`, [platformId]);
    await db.query(`INSERT INTO outcome_webhook_secrets (platform_id, secret) VALUES ($1, 'legacy-whsec-0123456789')`, [platformId]);
    const res = await admin(request(app).get(`/admin/api/platforms/${platformId}/outcome-sources`));
    expect(res.body).toMatchObject({ connector: { kind: 'moodle', baseUrl: 'https://old.example', tokenSet: true }, webhook: { secretSet: true } });
    expect(res.text).not.toContain('legacy-');
    const { rows } = await db.query<{ token: string | null }>('SELECT token FROM outcome_connectors WHERE platform_id = $1', [platformId]);
    expect(rows[0]!.token).toBe('legacy-token-0123456789');
  });

  it('answers 404 with not_found for an unknown or malformed platform id', async () => {
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      const res = await admin(request(app).get(`/admin/api/platforms/${id}/outcome-sources`));
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('not_found');
    }
  });

  it('answers 401 without the admin token', async () => {
    const platformId = await freshPlatform();
    const res = await request(app).get(`/admin/api/platforms/${platformId}/outcome-sources`).set('accept', 'application/json');
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('unauthorized');
  });
});
