import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../support/database.ts';
import { seedCourse, type CourseFixture } from '../support/issuance/course-fixture.ts';
import { createRecordingGradebook, type RecordingGradebook } from '../support/issuance/recording-gradebook.ts';
import { testConfig } from '../support/config.ts';
import { createIssueCredentialSigner } from '../../src/issuance/credential-signer.ts';
import { createIssuerKeyProvider } from '../../src/issuance/issuer-keys.ts';
import { createCredentialRepository } from '../../src/storage/credential-repository.ts';
import type { AwardCredentialSigner } from '../../src/issuance/ports.ts';
import { ingestOutcomes } from '../../src/outcomes/ingest-outcomes.ts';
import type { OutcomeEvent } from '../../src/outcomes/outcome-event.ts';
import { createIssuanceWorker, backoffDelay, type IssuanceWorker } from '../../src/issuance/issuance-worker.ts';
import { createAwardRepository } from '../../src/storage/award-repository.ts';
import { createJobRepository } from '../../src/storage/job-repository.ts';
import { createLogger } from '../../src/logger.ts';
import type { Criteria } from '../../src/criteria/index.ts';

const publicUrl = 'http://localhost:3000';
let db: TestDatabase;
let gradebook: RecordingGradebook;
let signer: AwardCredentialSigner;

function worker(overrides: Partial<Parameters<typeof createIssuanceWorker>[0]> = {}): IssuanceWorker {
  return createIssuanceWorker({
    db,
    signer,
    gradebook,
    publicUrl,
    defaultLocale: 'en',
    log: createLogger({ level: 'silent' }),
    concurrency: 4,
    maxAttempts: 3,
    baseBackoffMs: 1,
    maxBackoffMs: 5,
    ...overrides,
  });
}

function grade(course: CourseFixture, learner: string, activity: string, score: number, at = '2026-05-01T10:00:00Z'): OutcomeEvent {
  return { platform: course.platformId, context: course.lmsContextId, learner, activity, score, max: 100, completed: null, at: new Date(at), source: 'webhook' };
}

function completion(course: CourseFixture, learner: string, activity: string, at = '2026-05-01T10:00:00Z'): OutcomeEvent {
  return { platform: course.platformId, context: course.lmsContextId, learner, activity, score: null, max: null, completed: true, at: new Date(at), source: 'webhook' };
}

async function count(table: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
  return rows[0]!.n;
}

beforeEach(async () => {
  db = await openTestDatabase();
  gradebook = createRecordingGradebook();
  signer = createIssueCredentialSigner({
    keys: createIssuerKeyProvider({ db, kek: testConfig().secrets.keyEncryptionKey!, publicUrl }),
    publicUrl,
    chainReference: null,
  });
});
afterEach(async () => {
  await db.close();
});

describe('automatic issuance', () => {
  it('issues exactly one credential and posts the badge link when a learner crosses the score threshold', async () => {
    const course = await seedCourse(db);
    await ingestOutcomes({ db, events: [grade(course, 'ana', 'quiz3', 72)] });
    await worker().runUntilIdle();
    expect(await count('awards')).toBe(0);

    await ingestOutcomes({ db, events: [grade(course, 'ana', 'quiz3', 85, '2026-05-02T10:00:00Z')] });
    await worker().runUntilIdle();

    const { rows: awards } = await db.query<{ id: string; state: string; credential_id: string }>('SELECT id, state, credential_id FROM awards');
    expect(awards).toHaveLength(1);
    expect(awards[0]!.state).toBe('posted');
    expect(awards[0]!.credential_id).toBe(`urn:uuid:${awards[0]!.id}`);
    expect(await count('credentials')).toBe(1);
    expect(gradebook.posts).toHaveLength(1);
    const post = gradebook.posts[0]!;
    expect(post.lineItemUrl).toBe(course.lineItemUrl);
    expect(post.earned).toBe(true);
    expect(post.comment).toBe(`Badge earned: Data Literacy — ${publicUrl}/credentials/${encodeURIComponent(awards[0]!.credential_id)}`);
    const transitions = await createAwardRepository(db).listTransitions(awards[0]!.id);
    expect(transitions.map((t) => `${t.fromState ?? '-'}>${t.toState}`)).toEqual(['->awarded', 'awarded>signed', 'signed>posted']);
  });

  it('writes the gradebook comment in Spanish when the course is in Spanish', async () => {
    const course = await seedCourse(db, { locale: 'es-CR', name: 'Alfabetización de datos' });
    await ingestOutcomes({ db, events: [grade(course, 'beto', 'quiz3', 90)] });
    await worker().runUntilIdle();
    expect(gradebook.posts[0]!.comment).toMatch(/^Insignia obtenida: Alfabetización de datos — http:\/\/localhost:3000\/credentials\/urn%3Auuid%3A/);
  });

  it('changes nothing when the same outcome arrives again or an older one is replayed', async () => {
    const course = await seedCourse(db);
    const first = await ingestOutcomes({ db, events: [grade(course, 'ana', 'quiz3', 90), grade(course, 'ana', 'quiz3', 90)] });
    expect(first).toMatchObject({ received: 2, changed: 1, queued: 1 });
    await worker().runUntilIdle();
    const again = await ingestOutcomes({ db, events: [grade(course, 'ana', 'quiz3', 90)] });
    const older = await ingestOutcomes({ db, events: [grade(course, 'ana', 'quiz3', 10, '2026-04-01T00:00:00Z')] });
    expect(again).toMatchObject({ changed: 0, queued: 0 });
    expect(older).toMatchObject({ changed: 0, queued: 0 });
    expect(await worker().runUntilIdle()).toBe(0);
    expect(await count('awards')).toBe(1);
    expect(await count('credentials')).toBe(1);
    expect(gradebook.posts).toHaveLength(1);
  });

  it('ignores outcomes for a course Sello has never seen', async () => {
    const course = await seedCourse(db);
    const report = await ingestOutcomes({ db, events: [{ ...grade(course, 'ana', 'quiz3', 90), context: 'unknown-course' }] });
    expect(report).toMatchObject({ received: 1, changed: 0, unknownContext: 1 });
    expect(await count('outcomes')).toBe(0);
  });

  it('awards an any group when one of its rules is met', async () => {
    const criteria: Criteria = { kind: 'any', rules: [{ kind: 'completed', activity: 'capstone' }, { kind: 'course_grade', minPercent: 90 }] };
    const course = await seedCourse(db, { criteria });
    await ingestOutcomes({ db, events: [grade(course, 'ana', 'course', 85), completion(course, 'beto', 'capstone'), grade(course, 'carla', 'course', 95)] });
    await worker().runUntilIdle();
    const { rows } = await db.query<{ sub: string }>('SELECT u.sub FROM awards a JOIN users u ON u.id = a.user_id ORDER BY u.sub');
    expect(rows.map((row) => row.sub)).toEqual(['beto', 'carla']);
  });

  it('awards an all group only once every rule is met', async () => {
    const criteria: Criteria = { kind: 'all', rules: [{ kind: 'completed', activity: 'module1' }, { kind: 'score', activity: 'quiz3', minPercent: 80 }] };
    const course = await seedCourse(db, { criteria });
    await ingestOutcomes({ db, events: [completion(course, 'ana', 'module1'), grade(course, 'beto', 'quiz3', 95)] });
    await worker().runUntilIdle();
    expect(await count('awards')).toBe(0);
    await ingestOutcomes({ db, events: [grade(course, 'ana', 'quiz3', 80)] });
    await worker().runUntilIdle();
    const { rows } = await db.query<{ sub: string }>('SELECT u.sub FROM awards a JOIN users u ON u.id = a.user_id');
    expect(rows.map((row) => row.sub)).toEqual(['ana']);
  });

  it('awards at_least N of a list when N rules are met', async () => {
    const criteria: Criteria = {
      kind: 'at_least',
      count: 2,
      rules: ['lab1', 'lab2', 'lab3'].map((activity) => ({ kind: 'completed' as const, activity })),
    };
    const course = await seedCourse(db, { criteria });
    await ingestOutcomes({ db, events: [completion(course, 'ana', 'lab1'), completion(course, 'beto', 'lab1'), completion(course, 'beto', 'lab3')] });
    await worker().runUntilIdle();
    const { rows } = await db.query<{ sub: string }>('SELECT u.sub FROM awards a JOIN users u ON u.id = a.user_id');
    expect(rows.map((row) => row.sub)).toEqual(['beto']);
  });

  it('keeps the badge by default when the learner later falls below', async () => {
    const course = await seedCourse(db);
    await ingestOutcomes({ db, events: [grade(course, 'ana', 'quiz3', 90)] });
    await worker().runUntilIdle();
    await ingestOutcomes({ db, events: [grade(course, 'ana', 'quiz3', 40, '2026-05-03T00:00:00Z')] });
    await worker().runUntilIdle();
    const { rows } = await db.query<{ state: string }>('SELECT state FROM awards');
    expect(rows).toEqual([{ state: 'posted' }]);
    const { rows: credentials } = await db.query<{ id: string }>('SELECT id FROM credentials');
    expect((await createCredentialRepository(db).findStatus(credentials[0]!.id))?.revoked).toBe(false);
  });

  it('revokes the badge and zeroes the gradebook score when the policy is revoke', async () => {
    const course = await seedCourse(db, { policy: 'revoke' });
    await ingestOutcomes({ db, events: [grade(course, 'ana', 'quiz3', 90)] });
    await worker().runUntilIdle();
    await ingestOutcomes({ db, events: [grade(course, 'ana', 'quiz3', 40, '2026-05-03T00:00:00Z')] });
    await worker().runUntilIdle();
    const { rows } = await db.query<{ state: string; credential_id: string; revoke_reason: string }>('SELECT state, credential_id, revoke_reason FROM awards');
    expect(rows[0]).toMatchObject({ state: 'revoked', revoke_reason: 'below_criteria' });
    expect((await createCredentialRepository(db).findStatus(rows[0]!.credential_id))?.revoked).toBe(true);
    expect(gradebook.posts.map((post) => post.earned)).toEqual([true, false]);
    expect(gradebook.posts[1]!.comment).toBe('Badge revoked: Data Literacy');
  });

  it('issues once when two workers race on the same events', async () => {
    const course = await seedCourse(db, { learners: Array.from({ length: 30 }, (_, i) => `learner-${i}`) });
    const events = Array.from({ length: 30 }, (_, i) => grade(course, `learner-${i}`, 'quiz3', 90));
    await Promise.all([ingestOutcomes({ db, events }), ingestOutcomes({ db, events })]);
    await Promise.all([worker({ workerId: 'a' }).runUntilIdle(), worker({ workerId: 'b' }).runUntilIdle(), worker({ workerId: 'c' }).runUntilIdle()]);
    expect(await count('awards')).toBe(30);
    expect(await count('credentials')).toBe(30);
    expect(gradebook.posts).toHaveLength(30);
    const { rows } = await db.query<{ state: string; n: number }>('SELECT state, count(*)::int AS n FROM awards GROUP BY state');
    expect(rows).toEqual([{ state: 'posted', n: 30 }]);
  });

  it('retries a failing gradebook with backoff, parks the job as failed after the last attempt, and finishes when retried', async () => {
    const course = await seedCourse(db);
    await ingestOutcomes({ db, events: [grade(course, 'ana', 'quiz3', 90)] });
    gradebook.failNext(3);
    const w = worker({ maxAttempts: 3 });
    for (let i = 0; i < 10; i += 1) {
      await w.runUntilIdle();
      await new Promise((resolve) => setTimeout(resolve, 15));
    }
    const jobs = createJobRepository(db);
    const failed = await jobs.listFailed();
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ kind: 'advance_award', attempts: 3, lastError: 'Error: connect ECONNREFUSED lms.example:443' });
    const { rows } = await db.query<{ state: string }>('SELECT state FROM awards');
    expect(rows).toEqual([{ state: 'signed' }]);

    expect(await jobs.retry(failed[0]!.id)).toBe(true);
    await w.runUntilIdle();
    expect((await db.query<{ state: string }>('SELECT state FROM awards')).rows).toEqual([{ state: 'posted' }]);
    expect(await count('credentials')).toBe(1);
    expect(gradebook.posts).toHaveLength(1);
  });

  it('grows the retry delay exponentially with jitter and a cap', () => {
    const delays = [1, 2, 3, 4, 20].map((attempts) => backoffDelay({ attempts, baseMs: 1000, maxMs: 60_000, random: () => 0.5 }));
    expect(delays).toEqual([750, 1500, 3000, 6000, 45000]);
    expect(backoffDelay({ attempts: 3, baseMs: 1000, maxMs: 60_000, random: () => 0 })).toBe(2000);
  });
});
