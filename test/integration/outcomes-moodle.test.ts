import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../support/database.ts';
import { startFakeMoodle, type FakeMoodle } from '../support/moodle-ws-fake/index.ts';
import { seedCourse, type CourseFixture } from '../support/issuance/course-fixture.ts';
import { createRecordingGradebook } from '../support/issuance/recording-gradebook.ts';
import { testPipelineWorker } from '../support/issuance/pipeline.ts';
import { syncContext } from '../../src/outcomes/sync-context.ts';
import { connectorReader } from '../../src/outcomes/connector-reader.ts';
import { callMoodle } from '../../src/outcomes/moodle-connector.ts';
import { createOutcomeRepository } from '../../src/storage/outcome-repository.ts';
import { createOutcomeSecretRepository } from '../../src/storage/outcome-secret-repository.ts';
import { testKek } from '../support/config.ts';
import { OutcomeError } from '../../src/outcomes/outcome-error.ts';
import { syncConnectorRoster } from '../../src/outcomes/connector-roster.ts';
import { createUserRepository } from '../../src/storage/user-repository.ts';
import { createEnrollmentRepository } from '../../src/storage/enrollment-repository.ts';
import { createOutboundFetch } from '../../src/outbound/outbound-fetch.ts';
import { createCourseSync } from '../../src/issuance/start-issuance.ts';

/** Sello's outbound client; the fakes listen on 127.0.0.1. */
const outboundFetch = createOutboundFetch({ allowPrivate: true });

let db: TestDatabase;
let moodle: FakeMoodle;
let course: CourseFixture;

beforeAll(async () => {
  db = await openTestDatabase();
  moodle = await startFakeMoodle();
  // Moodle's LTI context id is the course id; its LTI sub is the user id.
  course = await seedCourse(db, {
    lmsContextId: '42',
    learners: ['7', '8', '9'],
    criteria: {
      kind: 'all',
      rules: [
        { kind: 'completed', activity: 'moodle:cm:301' },
        { kind: 'score', activity: 'moodle:cm:302', minPercent: 75 },
      ],
    },
  });
  moodle.courses.set(42, {
    id: 42,
    activities: [
      { cmid: 301, name: 'Lectura: Introducción', modname: 'page' },
      { cmid: 302, name: 'Quiz 3', modname: 'quiz', grademax: 10 },
    ],
    users: [7, 8, 9],
    grades: new Map([
      [7, new Map([[302, 8]])],
      [8, new Map([[302, 9.5]])],
      [9, new Map([[302, 5]])],
    ]),
    completed: new Map([
      [7, new Set([301])],
      [9, new Set([301])],
    ]),
    courseTotals: new Map([[7, 81]]),
  });
  await createOutcomeSecretRepository({ db, kek: testKek }).setConnector({ platformId: course.platformId, kind: 'moodle', baseUrl: moodle.url, token: moodle.token });
});
afterAll(async () => {
  await moodle.close();
  await db.close();
});

describe('Moodle web services connector', () => {
  it('reads completions and grades of every learner and issues to those who meet the criteria', async () => {
    const connector = (await createOutcomeSecretRepository({ db, kek: testKek }).findConnector(course.platformId))!;
    const report = await syncContext({
      db,
      contextId: course.contextId,
      readers: { moodle: connectorReader({ db, connector, fetch: outboundFetch }) },
      now: () => new Date('2026-05-02T00:00:00Z'),
    });
    expect(report.sources.moodle).toEqual({ batches: 3 });
    expect(report.total.queued).toBe(3);
    expect(moodle.calls.map((call) => call.wsfunction)).toEqual([
      'core_course_get_contents',
      'gradereport_user_get_grade_items',
      'core_completion_get_activities_completion_status',
      'core_completion_get_activities_completion_status',
      'core_completion_get_activities_completion_status',
    ]);
    const activities = await createOutcomeRepository(db).listActivities(course.contextId);
    expect(activities.map((a) => [a.activity, a.name])).toEqual([
      ['moodle:cm:301', 'Lectura: Introducción'],
      ['moodle:cm:302', 'Quiz 3'],
    ]);

    const gradebook = createRecordingGradebook();
    await testPipelineWorker(db, gradebook).runUntilIdle();
    // 7: completed and 80%; 8: 95% but not completed; 9: completed but 50%.
    expect(gradebook.posts.map((post) => post.learner.sub)).toEqual(['7']);
    const outcomes = await createOutcomeRepository(db).listForLearner(course.contextId, gradebook.posts[0]!.learner.id);
    expect(outcomes.map((o) => [o.activity, o.score, o.max, o.completed])).toEqual([
      ['course', 81, 100, null],
      ['moodle:cm:301', null, null, true],
      ['moodle:cm:302', 8, 10, false],
    ]);
  });

  it('changes nothing when the same course is synced again', async () => {
    const connector = (await createOutcomeSecretRepository({ db, kek: testKek }).findConnector(course.platformId))!;
    const report = await syncContext({ db, contextId: course.contextId, readers: { moodle: connectorReader({ db, connector, fetch: outboundFetch }) }, now: () => new Date() });
    expect(report.total).toMatchObject({ changed: 0, queued: 0 });
  });

  it('sends the web services token in the form body of a POST, never in the URL an access log records', async () => {
    const before = moodle.calls.length;
    await callMoodle({ baseUrl: moodle.url, token: moodle.token, fetch: outboundFetch }, 'core_course_get_contents', { courseid: 42 });
    const [call] = moodle.calls.slice(before);
    expect(call).toMatchObject({ method: 'POST', url: '/webservice/rest/server.php', wsfunction: 'core_course_get_contents' });
    expect(call!.params).toMatchObject({ wstoken: moodle.token, moodlewsrestformat: 'json', courseid: '42' });
    expect(call!.url).not.toContain(moodle.token);
    expect(call!.url).not.toContain('wstoken');
  });

  it("turns Moodle's exception JSON for a bad token into connector_unauthorized", async () => {
    const call = callMoodle({ baseUrl: moodle.url, token: 'wrong', fetch: outboundFetch }, 'core_course_get_contents', { courseid: 42 });
    await expect(call).rejects.toBeInstanceOf(OutcomeError);
    await expect(call).rejects.toMatchObject({ code: 'connector_unauthorized', message: expect.stringContaining('Invalid token - token not found') });
  });

  it('reports a failing source in the sync report and keeps what other sources did', async () => {
    const report = await syncContext({
      db,
      contextId: course.contextId,
      readers: { moodle: connectorReader({ db, connector: { platformId: course.platformId, kind: 'moodle', baseUrl: moodle.url, token: 'revoked' }, fetch: outboundFetch }) },
      now: () => new Date(),
    });
    expect(report.sources.moodle!.error).toMatch(/invalidtoken/);
  });

  it('brings every enrolled learner with name and email from core_enrol_get_enrolled_users, page by page', async () => {
    // 250 members: two pages of 200; learner 1001 has no Sello row before (never launched).
    moodle.courses.get(42)!.users = [7, 8, 9, ...Array.from({ length: 247 }, (_, i) => 1001 + i)];
    moodle.courses.get(42)!.profiles = new Map([[1001, { fullname: 'Nadia Quiet', email: 'nadia@moodle.example' }]]);
    const connector = (await createOutcomeSecretRepository({ db, kek: testKek }).findConnector(course.platformId))!;
    const before = moodle.calls.length;
    const report = await syncConnectorRoster({ db, connector, context: { id: course.contextId, platformId: course.platformId, lmsContextId: '42' }, fetch: outboundFetch });
    expect(report).toEqual({ members: 250, requeued: 0 });
    expect(moodle.calls.slice(before).map((call) => [call.wsfunction, call.params['options[0][value]']])).toEqual([
      ['core_enrol_get_enrolled_users', '0'],
      ['core_enrol_get_enrolled_users', '200'],
    ]);
    const nadia = await createUserRepository(db).findBySub(course.platformId, '1001');
    expect(nadia).toMatchObject({ name: 'Nadia Quiet', email: 'nadia@moodle.example' });
    expect((await createEnrollmentRepository(db).find(course.contextId, nadia!.id))!.roles).toEqual(['http://purl.imsglobal.org/vocab/lis/v2/membership#Learner']);
  });

  it('never re-posts the token to another origin when the Moodle URL redirects there', async () => {
    // A 307 keeps the method and the body: a plain fetch would send the form, wstoken
    // included, to whoever the Location names.
    const bodies: string[] = [];
    const elsewhere = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        bodies.push(body);
        res.writeHead(200, { 'content-type': 'application/json' }).end('[]');
      });
    });
    await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
    const elsewhereUrl = `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}`;
    const redirecting = http.createServer((req, res) => res.writeHead(307, { location: `${elsewhereUrl}${req.url}` }).end());
    await new Promise<void>((resolve) => redirecting.listen(0, '127.0.0.1', resolve));
    try {
      const baseUrl = `http://127.0.0.1:${(redirecting.address() as AddressInfo).port}`;
      await expect(callMoodle({ baseUrl, token: moodle.token, fetch: outboundFetch }, 'core_course_get_contents', { courseid: 42 })).rejects.toMatchObject({
        code: 'connector_unavailable',
      });
      expect(bodies).toEqual([]);
    } finally {
      await new Promise<void>((resolve) => redirecting.close(() => resolve()));
      await new Promise<void>((resolve) => elsewhere.close(() => resolve()));
    }
  });

  it('refuses a plain fetch wherever a connector token is sent, in the types and at run time', async () => {
    expect(() =>
      createCourseSync({
        db,
        kek: testKek,
        ltiServices: null,
        // @ts-expect-error: a plain fetch is not Sello's outbound client
        fetch,
      }),
    ).toThrow(TypeError);
    // @ts-expect-error: likewise one level down
    const call = callMoodle({ baseUrl: moodle.url, token: moodle.token, fetch }, 'core_course_get_contents', { courseid: 42 });
    await expect(call).rejects.toThrow(/outbound client/);
  });
});
