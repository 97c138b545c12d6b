import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import type { Express } from 'express';
import { buildApp } from '../../src/web/app.ts';
import { createLogger } from '../../src/logger.ts';
import { VERSION } from '../../src/version.ts';
import { outcomesWebhookRouter } from '../../src/web/lms/outcomes-webhook.ts';
import { deliverOutcome } from '../support/issuance/webhook-delivery.ts';
import { signWebhookBody, signWebhookDelivery } from '../../src/outcomes/webhook-signature.ts';
import { createOutcomeSecretRepository } from '../../src/storage/outcome-secret-repository.ts';
import { openTestDatabase, type TestDatabase } from '../support/database.ts';
import { testConfig, testKek, testSecrets } from '../support/config.ts';
import { seedCourse, type CourseFixture } from '../support/issuance/course-fixture.ts';

const secret = 'whsec-test-0123456789abcdef0123456789';
const now = new Date('2026-05-01T12:00:00Z');
const nowS = Math.floor(now.getTime() / 1000);
let db: TestDatabase;
let app: Express;
let course: CourseFixture;
let queuedSignals = 0;

beforeAll(async () => {
  db = await openTestDatabase();
  course = await seedCourse(db);
  await createOutcomeSecretRepository({ db, kek: testKek }).setWebhookSecret(course.platformId, secret);
  const config = testConfig();
  app = buildApp({
    config,
    db,
    log: createLogger({ level: 'silent' }),
    secrets: testSecrets(config),
    version: VERSION,
    earlyMounts: [
      { path: '/api/outcomes', handler: outcomesWebhookRouter({ db, kek: testKek, bodyLimit: '1mb', now: () => now, onQueued: () => (queuedSignals += 1) }) },
    ],
  });
});
afterAll(async () => {
  await db.close();
});

const gradeBody = (score: number) =>
  JSON.stringify({ context: 'course-101', learner: 'ana', activity: 'quiz3', activityName: 'Quiz 3', score, max: 100, at: '2026-05-01T11:59:00Z' });

function post(
  body: string,
  { key = 'k-1', timestamp = nowS, signWith = secret, platform = '', scheme = 'v2' as 'v1' | 'v2', signature = undefined as string | undefined } = {},
) {
  return deliverOutcome(app, { platformId: platform || course.platformId, secret: signWith, key, body, timestamp, scheme, signature });
}

async function outcomeCount(): Promise<number> {
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM outcomes');
  return rows[0]!.n;
}

describe('POST /api/outcomes', () => {
  it('rejects a body signed with another secret and stores nothing', async () => {
    const res = await post(gradeBody(90), { signWith: 'not-the-secret' });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('webhook_signature_unauthorized');
    expect(await outcomeCount()).toBe(0);
  });

  it('rejects a body changed after signing', async () => {
    const timestamp = nowS;
    const res = await deliverOutcome(app, { platformId: course.platformId, secret, key: 'tampered', timestamp, body: gradeBody(100), signedBody: gradeBody(50) });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('webhook_signature_unauthorized');
  });

  it('rejects a timestamp more than five minutes old', async () => {
    const res = await post(gradeBody(90), { timestamp: nowS - 301 });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('webhook_timestamp_unauthorized');
  });

  it('rejects an unknown platform like a bad signature', async () => {
    const res = await post(gradeBody(90), { platform: '00000000-0000-4000-8000-000000000000' });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('webhook_signature_unauthorized');
  });

  it('asks for the signature headers and the idempotency key', async () => {
    const bare = await request(app).post('/api/outcomes').set('content-type', 'application/json').send(gradeBody(90));
    expect(bare.status).toBe(400);
    expect(bare.body.code).toBe('missing_webhook_headers');
    const noKey = await post(gradeBody(90), { key: '' });
    expect(noKey.status).toBe(400);
    expect(noKey.body.code).toBe('missing_idempotency_key');
  });

  it('explains what is wrong with a signed but invalid event', async () => {
    const body = JSON.stringify({ context: 'course-101', learner: 'ana', activity: 'quiz3', score: 90, at: 'yesterday' });
    const res = await post(body, { key: 'bad-event' });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('invalid_outcome_event');
    expect(res.body.details.problems.map((p: { path: string }) => p.path).sort()).toEqual(['at', 'max']);
    expect(await outcomeCount()).toBe(0);
  });

  it('refuses a signed event whose texts hold a NUL or a lone surrogate, storing nothing', async () => {
    const before = await outcomeCount();
    const nul = await post(gradeBody(90).replace('"ana"', '"a\\u0000na"'), { key: 'nul-learner' });
    expect(nul.status).toBe(400);
    expect(nul.body).toMatchObject({ code: 'invalid_text', details: { path: 'learner' } });
    const surrogate = await post(gradeBody(90).replace('"Quiz 3"', '"Quiz \\ud800"'), { key: 'lone-surrogate' });
    expect(surrogate.status).toBe(400);
    expect(surrogate.body).toMatchObject({ code: 'invalid_text', details: { path: 'activityName' } });
    expect(await outcomeCount()).toBe(before);
  });

  it('stores a signed event, queues its learner, and answers a replay with the first answer', async () => {
    const first = await post(gradeBody(90), { key: 'delivery-1' });
    expect(first.status).toBe(202);
    expect(first.body).toEqual({ received: 1, changed: 1, queued: 1, unknownContext: 0 });
    expect(queuedSignals).toBe(1);
    const replay = await post(gradeBody(90), { key: 'delivery-1' });
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual({ received: 1, changed: 1, queued: 1, unknownContext: 0, replayed: true });
    const sameEventNewKey = await post(gradeBody(90), { key: 'delivery-2' });
    expect(sameEventNewKey.body).toEqual({ received: 1, changed: 0, queued: 0, unknownContext: 0 });
    expect(await outcomeCount()).toBe(1);
    const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM issuance_jobs WHERE kind = 'evaluate'`);
    expect(rows[0]!.n).toBe(1);
  });

  it('refuses a captured v1 delivery re-sent within its window under a new idempotency key', async () => {
    const body = gradeBody(77).replace('quiz3', 'quiz-v1');
    // What an eavesdropper captures: the body, its timestamp and its v1 signature.
    const signature = signWebhookBody({ secret, timestamp: nowS - 60, body });
    const captured = await post(body, { key: 'v1-original', signature, timestamp: nowS - 60 });
    expect(captured.status).toBe(202);
    const before = await outcomeCount();
    const replayed = await post(body, { key: 'v1-attacker', signature, timestamp: nowS - 60 });
    expect(replayed.status).toBe(401);
    expect(replayed.body.code).toBe('webhook_replay_unauthorized');
    // The integrator's own retry (same key) still gets the first answer.
    const retried = await post(body, { key: 'v1-original', signature, timestamp: nowS - 60 });
    expect(retried.status).toBe(200);
    expect(retried.body.replayed).toBe(true);
    expect(await outcomeCount()).toBe(before);
    const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM outcome_webhook_deliveries WHERE idempotency_key = 'v1-attacker'`);
    expect(rows[0]!.n).toBe(0);
  });

  it('binds a v2 signature to its idempotency key, so a captured delivery cannot be re-sent under another', async () => {
    const body = gradeBody(66).replace('quiz3', 'quiz-v2');
    const signature = signWebhookDelivery({ secret, timestamp: nowS, idempotencyKey: 'v2-original', body });
    expect(signature).toMatch(/^v2=[0-9a-f]{64}$/);
    const captured = await post(body, { key: 'v2-original', signature });
    expect(captured.status).toBe(202);
    const replayed = await post(body, { key: 'v2-attacker', signature });
    expect(replayed.status).toBe(401);
    expect(replayed.body.code).toBe('webhook_signature_unauthorized');
    const retried = await post(body, { key: 'v2-original', signature });
    expect(retried.status).toBe(200);
    expect(retried.body.replayed).toBe(true);
  });

  it('refuses an idempotency key reused with a different body', async () => {
    const res = await post(gradeBody(10), { key: 'delivery-1' });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('idempotency_key_conflict');
  });
});
