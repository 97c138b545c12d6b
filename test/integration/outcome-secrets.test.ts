/**
 * The outcome sources' secrets (Moodle/Canvas connector tokens, webhook HMAC secrets) at
 * rest: encrypted under SELLO_KEK, legacy plaintext rows from before migration 0402
 * encrypted in place and still working, and never given back by a route.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/web/app.ts';
import { createLogger } from '../../src/logger.ts';
import { VERSION } from '../../src/version.ts';
import { StorageError } from '../../src/errors.ts';
import { startSello, type RunningSello } from '../../src/server.ts';
import { outcomesWebhookRouter } from '../../src/web/lms/outcomes-webhook.ts';
import { listMigrations, migrate } from '../../src/storage/migrate.ts';
import { openDatabase, type Database, type Queryable } from '../../src/storage/database.ts';
import { createOutcomeSecretRepository, sealLegacyOutcomeSecrets } from '../../src/storage/outcome-secret-repository.ts';
import { openTestDatabase, testDatabaseUrl, type TestDatabase } from '../support/database.ts';
import { makeTempDir, testConfig, testKek, testSecrets } from '../support/config.ts';
import { deliverOutcome, quizGradeBody } from '../support/issuance/webhook-delivery.ts';
import { seedCourse, type CourseFixture } from '../support/issuance/course-fixture.ts';

const migrationsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'storage', 'migrations');
const wrongKek = Buffer.alloc(32, 7);
const moodleToken = 'moodle-ws-token-9f8e7d6c5b4a39281706f5e4d3c2b1a0';
const canvasToken = '7~canvas-api-token-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2';
const webhookSecret = 'whsec_legacy-secret-0123456789abcdef0123456789';

/** A database as a Sello from before migration 0402 left it (plaintext secret columns). */
async function migrateUntil(db: Queryable, before: string): Promise<void> {
  await db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
  for (const name of listMigrations().filter((file) => file < before)) {
    await db.exec(fs.readFileSync(path.join(migrationsDir, name), 'utf8'));
    await db.query('INSERT INTO schema_migrations (name) VALUES ($1)', [name]);
  }
}

/** A second LMS registered with the course's issuer; returns its platform id. */
async function addPlatform(db: Queryable, course: Pick<CourseFixture, 'issuerId'>, iss: string): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO platforms (issuer_id, iss, client_id, name, product) VALUES ($1, $2, 'client-1', 'Canvas', 'canvas') RETURNING id`,
    [course.issuerId, iss],
  );
  return rows[0]!.id;
}

/**
 * The issuer and the Moodle platform as a Sello from before migration 0402 stored them,
 * in that schema's own SQL: today's repositories (and so `seedCourse`) read columns later
 * migrations add, so they run only once the database is migrated. The platform is the one
 * `seedCourse` uses by default, so a course seeded after the migration lands on it.
 */
async function seedLegacyPlatform(db: Queryable): Promise<{ issuerId: string; platformId: string }> {
  const issuer = await db.query<{ id: string }>(
    `INSERT INTO issuers (slug, name, url, did_method) VALUES ('default', 'Universidad de Prueba', 'https://u.example', 'web') RETURNING id`,
  );
  const issuerId = issuer.rows[0]!.id;
  const platform = await db.query<{ id: string }>(
    `INSERT INTO platforms (issuer_id, iss, client_id, name, product) VALUES ($1, 'https://lms.example', 'client-1', 'Test LMS', 'moodle') RETURNING id`,
    [issuerId],
  );
  return { issuerId, platformId: platform.rows[0]!.id };
}

async function insertLegacySecrets(db: Queryable, platformId: string, connector: { kind: string; baseUrl: string; token: string }): Promise<void> {
  await db.query('INSERT INTO outcome_connectors (platform_id, kind, base_url, token) VALUES ($1, $2, $3, $4)', [
    platformId,
    connector.kind,
    connector.baseUrl,
    connector.token,
  ]);
  await db.query('INSERT INTO outcome_webhook_secrets (platform_id, secret) VALUES ($1, $2)', [platformId, webhookSecret]);
}

async function rawConnector(db: Queryable, platformId: string) {
  const { rows } = await db.query<{ token: string | null; encrypted_token: string | null }>(
    'SELECT token, encrypted_token FROM outcome_connectors WHERE platform_id = $1',
    [platformId],
  );
  return rows[0]!;
}

async function rawWebhookSecret(db: Queryable, platformId: string) {
  const { rows } = await db.query<{ secret: string | null; encrypted_secret: string | null }>(
    'SELECT secret, encrypted_secret FROM outcome_webhook_secrets WHERE platform_id = $1',
    [platformId],
  );
  return rows[0]!;
}

/** Neither in the stored text nor in its base64-decoded parts. */
function expectNotRevealed(stored: string | null, plaintext: string): void {
  expect(stored).toMatch(/^v1\.[A-Za-z0-9+/=]+\.[A-Za-z0-9+/=]+\.[A-Za-z0-9+/=]+$/);
  expect(stored).not.toContain(plaintext);
  for (const part of stored!.split('.')) expect(Buffer.from(part, 'base64').toString('latin1')).not.toContain(plaintext);
}

function signedDelivery(app: Parameters<typeof deliverOutcome>[0], course: CourseFixture, secret: string, key: string) {
  return deliverOutcome(app, { platformId: course.platformId, secret, key, body: quizGradeBody(course.lmsContextId) });
}

describe('connector tokens and webhook secrets at rest', () => {
  let db: TestDatabase;
  let moodleCourse: CourseFixture;
  let canvasPlatformId: string;

  beforeAll(async () => {
    db = await openTestDatabase();
    moodleCourse = await seedCourse(db);
    canvasPlatformId = await addPlatform(db, moodleCourse, 'https://canvas.uni.example');
  });
  afterAll(() => db.close());

  it('stores the Moodle token encrypted at rest', async () => {
    const secrets = createOutcomeSecretRepository({ db, kek: testKek });
    await secrets.setConnector({ platformId: moodleCourse.platformId, kind: 'moodle', baseUrl: 'https://moodle.uni.example', token: moodleToken });
    const raw = await rawConnector(db, moodleCourse.platformId);
    expect(raw.token).toBeNull();
    expectNotRevealed(raw.encrypted_token, moodleToken);
    expect(await secrets.findConnector(moodleCourse.platformId)).toEqual({
      platformId: moodleCourse.platformId,
      kind: 'moodle',
      baseUrl: 'https://moodle.uni.example',
      token: moodleToken,
    });
  });

  it('stores the Canvas token encrypted at rest', async () => {
    const secrets = createOutcomeSecretRepository({ db, kek: testKek });
    await secrets.setConnector({ platformId: canvasPlatformId, kind: 'canvas', baseUrl: 'https://canvas.uni.example', token: canvasToken });
    const raw = await rawConnector(db, canvasPlatformId);
    expect(raw.token).toBeNull();
    expectNotRevealed(raw.encrypted_token, canvasToken);
    expect((await secrets.findConnector(canvasPlatformId))?.token).toBe(canvasToken);
  });

  it('stores the webhook secret encrypted at rest', async () => {
    const secrets = createOutcomeSecretRepository({ db, kek: testKek });
    await secrets.setWebhookSecret(moodleCourse.platformId, webhookSecret);
    const raw = await rawWebhookSecret(db, moodleCourse.platformId);
    expect(raw.secret).toBeNull();
    expectNotRevealed(raw.encrypted_secret, webhookSecret);
    expect(await secrets.findWebhookSecret(moodleCourse.platformId)).toBe(webhookSecret);
  });

  it('encrypts the same token differently each time it is stored', async () => {
    const secrets = createOutcomeSecretRepository({ db, kek: testKek });
    await secrets.setConnector({ platformId: moodleCourse.platformId, kind: 'moodle', baseUrl: 'https://moodle.uni.example', token: moodleToken });
    const before = (await rawConnector(db, moodleCourse.platformId)).encrypted_token;
    await secrets.setConnector({ platformId: moodleCourse.platformId, kind: 'moodle', baseUrl: 'https://moodle.uni.example', token: moodleToken });
    expect((await rawConnector(db, moodleCourse.platformId)).encrypted_token).not.toBe(before);
  });

  it('fails with secret_decryption_failed, not an OpenSSL message, under a wrong SELLO_KEK', async () => {
    const secrets = createOutcomeSecretRepository({ db, kek: testKek });
    await secrets.setConnector({ platformId: moodleCourse.platformId, kind: 'moodle', baseUrl: 'https://moodle.uni.example', token: moodleToken });
    await secrets.setWebhookSecret(moodleCourse.platformId, webhookSecret);
    const wrong = createOutcomeSecretRepository({ db, kek: wrongKek });
    for (const read of [() => wrong.findConnector(moodleCourse.platformId), () => wrong.findWebhookSecret(moodleCourse.platformId)]) {
      const error = await read().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StorageError);
      expect(error).toMatchObject({ code: 'secret_decryption_failed', message: expect.stringContaining('SELLO_KEK') });
      expect((error as Error).message).not.toMatch(/unable to authenticate|unsupported state/i);
      expect((error as Error).message).not.toContain(moodleToken);
    }
  });

  it('answers a webhook delivery with secret_decryption_failed when the secret does not decrypt under SELLO_KEK', async () => {
    await createOutcomeSecretRepository({ db, kek: testKek }).setWebhookSecret(moodleCourse.platformId, webhookSecret);
    const config = testConfig();
    const app = buildApp({
      config,
      db,
      log: createLogger({ level: 'silent' }),
      secrets: testSecrets(config),
      version: VERSION,
      earlyMounts: [{ path: '/api/outcomes', handler: outcomesWebhookRouter({ db, kek: wrongKek, bodyLimit: '1mb' }) }],
    });
    const res = await signedDelivery(app, moodleCourse, webhookSecret, 'wrong-kek-1');
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ code: 'secret_decryption_failed', message: expect.stringContaining('SELLO_KEK') });
  });

  it("does not decrypt a token whose base URL was changed in the database behind Sello's back", async () => {
    await createOutcomeSecretRepository({ db, kek: testKek }).setConnector({
      platformId: canvasPlatformId,
      kind: 'canvas',
      baseUrl: 'https://canvas.uni.example',
      token: canvasToken,
    });
    await db.query('UPDATE outcome_connectors SET base_url = $2 WHERE platform_id = $1', [canvasPlatformId, 'https://attacker.example']);
    const error = await createOutcomeSecretRepository({ db, kek: testKek })
      .findConnector(canvasPlatformId)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'secret_decryption_failed' });
  });

  it("does not decrypt one platform's token copied into another platform's row", async () => {
    const secrets = createOutcomeSecretRepository({ db, kek: testKek });
    await secrets.setConnector({ platformId: moodleCourse.platformId, kind: 'moodle', baseUrl: 'https://moodle.uni.example', token: moodleToken });
    await secrets.setConnector({ platformId: canvasPlatformId, kind: 'canvas', baseUrl: 'https://canvas.uni.example', token: canvasToken });
    await db.query(
      `UPDATE outcome_connectors SET base_url = 'https://moodle.uni.example', kind = 'moodle',
         encrypted_token = (SELECT encrypted_token FROM outcome_connectors WHERE platform_id = $2) WHERE platform_id = $1`,
      [canvasPlatformId, moodleCourse.platformId],
    );
    const error = await createOutcomeSecretRepository({ db, kek: testKek })
      .findConnector(canvasPlatformId)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'secret_decryption_failed' });
  });
});

describe('a database from before migration 0402, with plaintext secrets', () => {
  let db: TestDatabase;
  let moodleCourse: { issuerId: string; platformId: string };
  let canvasPlatformId: string;

  beforeAll(async () => {
    db = await openTestDatabase({ migrate: false });
    await migrateUntil(db, '0402');
    moodleCourse = await seedLegacyPlatform(db);
    canvasPlatformId = await addPlatform(db, moodleCourse, 'https://canvas.uni.example');
    await insertLegacySecrets(db, moodleCourse.platformId, { kind: 'moodle', baseUrl: 'https://moodle.uni.example', token: moodleToken });
    await insertLegacySecrets(db, canvasPlatformId, { kind: 'canvas', baseUrl: 'https://canvas.uni.example', token: canvasToken });
    expect((await migrate(db)).applied).toContain('0402_outcome_secrets_encrypted.sql');
  });
  afterAll(() => db.close());

  it('encrypts every plaintext token and secret in place, and does nothing the second time', async () => {
    expect(await sealLegacyOutcomeSecrets({ db, kek: testKek })).toEqual({ connectorTokens: 2, webhookSecrets: 2 });
    for (const [platformId, token] of [
      [moodleCourse.platformId, moodleToken],
      [canvasPlatformId, canvasToken],
    ] as const) {
      const connector = await rawConnector(db, platformId);
      expect(connector.token).toBeNull();
      expectNotRevealed(connector.encrypted_token, token);
      const secret = await rawWebhookSecret(db, platformId);
      expect(secret.secret).toBeNull();
      expectNotRevealed(secret.encrypted_secret, webhookSecret);
    }
    const secrets = createOutcomeSecretRepository({ db, kek: testKek });
    expect(await secrets.findConnector(moodleCourse.platformId)).toMatchObject({ kind: 'moodle', baseUrl: 'https://moodle.uni.example', token: moodleToken });
    expect(await secrets.findConnector(canvasPlatformId)).toMatchObject({ kind: 'canvas', baseUrl: 'https://canvas.uni.example', token: canvasToken });
    expect(await secrets.findWebhookSecret(moodleCourse.platformId)).toBe(webhookSecret);
    expect(await sealLegacyOutcomeSecrets({ db, kek: testKek })).toEqual({ connectorTokens: 0, webhookSecrets: 0 });
  });

  it('reads a plaintext row an older Sello wrote after the migration, and encrypts it on that first read', async () => {
    const latePlatformId = await addPlatform(db, moodleCourse, 'https://late.uni.example');
    await insertLegacySecrets(db, latePlatformId, { kind: 'moodle', baseUrl: 'https://late.uni.example', token: moodleToken });
    const secrets = createOutcomeSecretRepository({ db, kek: testKek });
    expect((await secrets.findConnector(latePlatformId))?.token).toBe(moodleToken);
    expect(await secrets.findWebhookSecret(latePlatformId)).toBe(webhookSecret);
    const connector = await rawConnector(db, latePlatformId);
    expect(connector.token).toBeNull();
    expectNotRevealed(connector.encrypted_token, moodleToken);
    expect((await rawWebhookSecret(db, latePlatformId)).secret).toBeNull();
    expect((await secrets.findConnector(latePlatformId))?.token).toBe(moodleToken);
  });

  it('refuses a row holding both a plaintext and an encrypted token', async () => {
    const write = db.query("UPDATE outcome_connectors SET token = $2, encrypted_token = 'v1.a.b.c' WHERE platform_id = $1", [moodleCourse.platformId, moodleToken]);
    await expect(write).rejects.toThrow(/outcome_connectors_one_token/);
  });
});

describe('a Sello upgraded from a version that kept these secrets in plaintext', () => {
  const dataDir = makeTempDir('sello-outcome-secrets-');
  const adminToken = 'test-admin-token-0123456789abcdef';
  let shared: TestDatabase | null = null;
  let course: CourseFixture;
  let canvasPlatformId: string;
  let sello: RunningSello;

  beforeAll(async () => {
    let db: Database;
    if (testDatabaseUrl) {
      shared = await openTestDatabase({ migrate: false });
      db = shared;
    } else {
      db = await openDatabase({ kind: 'embedded', dataDir: path.join(dataDir, 'pg') });
    }
    await migrateUntil(db, '0402');
    const legacy = await seedLegacyPlatform(db);
    canvasPlatformId = await addPlatform(db, legacy, 'https://canvas.uni.example');
    await insertLegacySecrets(db, legacy.platformId, { kind: 'moodle', baseUrl: 'https://moodle.uni.example', token: moodleToken });
    if (!shared) await db.close();
    const config = testConfig({
      SELLO_DATA_DIR: dataDir,
      PORT: '0',
      ADMIN_TOKEN: adminToken,
      ...(shared ? { DATABASE_URL: `${testDatabaseUrl}?options=${encodeURIComponent(`-c search_path=${shared.schema}`)}` } : {}),
    });
    sello = await startSello({ config, announce: () => {} });
    // The course on the legacy platform, seeded with today's code once start-up has migrated.
    course = await seedCourse(sello.db);
    expect(course.platformId).toBe(legacy.platformId);
  }, 120_000);
  afterAll(async () => {
    await sello?.close();
    await shared?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('encrypts them at start-up and keeps accepting webhooks signed with the old secret', async () => {
    expect((await rawConnector(sello.db, course.platformId)).token).toBeNull();
    expect((await rawWebhookSecret(sello.db, course.platformId)).secret).toBeNull();
    const delivery = await signedDelivery(sello.url, course, webhookSecret, 'upgraded-1');
    expect(delivery.status).toBe(202);
    expect(await createOutcomeSecretRepository({ db: sello.db, kek: testKek }).findConnector(course.platformId)).toMatchObject({ token: moodleToken });
  });

  it('gives the token and the secret back from no route', async () => {
    const admin = (req: request.Test) => req.set('authorization', `Bearer ${adminToken}`).set('accept', 'application/json');
    const set = await admin(request(sello.url).put(`/admin/api/platforms/${canvasPlatformId}/connector`)).send({
      kind: 'canvas',
      baseUrl: 'https://canvas.uni.example',
      token: canvasToken,
    });
    expect(set.status).toBe(200);
    expect(await createOutcomeSecretRepository({ db: sello.db, kek: testKek }).findConnector(canvasPlatformId)).toMatchObject({ token: canvasToken });
    const answers = [
      set,
      await admin(request(sello.url).put(`/admin/api/platforms/${canvasPlatformId}/connector`)).send({ kind: 'canvas', baseUrl: 'nope', token: canvasToken }),
      await admin(request(sello.url).get('/admin/api/platforms')),
      await admin(request(sello.url).get('/api/issuance/status')),
      await admin(request(sello.url).get(`/api/achievements/${course.achievement.id}/awards`)),
      await admin(request(sello.url).get('/admin/api/issuers/default/keys')),
      await request(sello.url).get('/health'),
      await signedDelivery(sello.url, course, webhookSecret, 'upgraded-2'),
      await signedDelivery(sello.url, course, 'whsec_not-the-secret', 'upgraded-3'),
    ];
    expect(answers.map((res) => res.status)).toEqual([200, 400, 200, 200, 200, 200, 200, 202, 401]);
    for (const res of answers) {
      const text = `${JSON.stringify(res.headers)}\n${res.text}`;
      expect(text).not.toContain(canvasToken);
      expect(text).not.toContain(moodleToken);
      expect(text).not.toContain(webhookSecret);
      expect(text).not.toContain(crypto.createHash('sha256').update(webhookSecret).digest('hex'));
    }
  });
});
