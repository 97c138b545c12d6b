import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../support/database.ts';
import { startFakeCanvas, type FakeCanvas } from '../support/canvas-fake/index.ts';
import { seedCourse, type CourseFixture } from '../support/issuance/course-fixture.ts';
import { createRecordingGradebook } from '../support/issuance/recording-gradebook.ts';
import { testPipelineWorker } from '../support/issuance/pipeline.ts';
import { syncContext } from '../../src/outcomes/sync-context.ts';
import { connectorReader } from '../../src/outcomes/connector-reader.ts';
import { canvasPages } from '../../src/outcomes/canvas-connector.ts';
import { createCourseSync } from '../../src/issuance/start-issuance.ts';
import type { Logger } from '../../src/logger.ts';
import { createOutcomeRepository, setConnectorCourseId } from '../../src/storage/outcome-repository.ts';
import { createOutcomeSecretRepository } from '../../src/storage/outcome-secret-repository.ts';
import { testKek } from '../support/config.ts';
import { createOutboundFetch } from '../../src/outbound/outbound-fetch.ts';

/** Sello's outbound client; the fakes listen on 127.0.0.1. */
const outboundFetch = createOutboundFetch({ allowPrivate: true });

/** Another origin, recording the Authorization header of every request it gets. */
async function startRecordingServer() {
  const authorizations: string[] = [];
  const server = http.createServer((req, res) => {
    authorizations.push(req.headers.authorization ?? '');
    res.writeHead(200, { 'content-type': 'application/json' }).end('[]');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    authorizations,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let db: TestDatabase;
let canvas: FakeCanvas;
let course: CourseFixture;
const students = Array.from({ length: 12 }, (_, i) => ({ id: 500 + i, name: `Student ${i}`, email: `s${i}@u.example` }));
const sleeps: number[] = [];
const sleep = async (ms: number) => {
  sleeps.push(ms);
};

beforeAll(async () => {
  db = await openTestDatabase();
  canvas = await startFakeCanvas();
  // Canvas subs are opaque; the fixture's learners have emails s0..s11@u.example.
  course = await seedCourse(db, {
    lmsContextId: '4dde05e8ca1973bcca9bffc13e1548820eee93a3',
    learners: students.map((_, i) => `s${i}`),
    criteria: {
      kind: 'at_least',
      count: 2,
      rules: [
        { kind: 'completed', activity: 'canvas:module_item:9001' },
        { kind: 'score', activity: 'canvas:assignment:77', minPoints: 40 },
        { kind: 'score', activity: 'canvas:assignment:78', minPercent: 90 },
      ],
    },
  });
  await setConnectorCourseId(db, course.contextId, '1234');
  canvas.courses.set(1234, {
    id: 1234,
    students,
    modules: [{ id: 11, name: 'Semana 1', items: [{ id: 9001, title: 'Lectura 1', type: 'Page', requirement: 'must_view' }] }],
    assignments: [
      { id: 77, name: 'Ensayo', points_possible: 50 },
      { id: 78, name: 'Examen', points_possible: 20 },
    ],
    completed: new Map(students.map((s, i) => [s.id, new Set(i % 2 === 0 ? [9001] : [])])),
    // Even students: completed + essay 45/50 → badge. Odd ones: essay 45 but exam 10/20 → no badge.
    scores: new Map(students.flatMap((s, i) => [[`77/${s.id}`, 45], [`78/${s.id}`, i % 2 === 0 ? 12 : 10]] as Array<[string, number]>)),
  });
  await createOutcomeSecretRepository({ db, kek: testKek }).setConnector({ platformId: course.platformId, kind: 'canvas', baseUrl: canvas.url, token: canvas.token });
});
afterAll(async () => {
  await canvas.close();
  await db.close();
});

describe('Canvas REST connector', () => {
  it('follows Link paging for students, module completion and submissions, and issues to those who meet at_least 2', async () => {
    const connector = (await createOutcomeSecretRepository({ db, kek: testKek }).findConnector(course.platformId))!;
    const report = await syncContext({
      db,
      contextId: course.contextId,
      readers: { canvas: connectorReader({ db, connector, fetch: outboundFetch, sleep }) },
      now: () => new Date('2026-05-02T00:00:00Z'),
    });
    expect(report.sources.canvas!.error).toBeUndefined();
    expect(report.total.queued).toBe(12);
    // 12 students + 24 submissions at per_page=100: one page each; module calls per student.
    expect(canvas.requests.filter((r) => r.includes('/modules')).length).toBe(12);
    const gradebook = createRecordingGradebook();
    await testPipelineWorker(db, gradebook).runUntilIdle();
    expect(gradebook.posts.map((post) => post.learner.sub).sort()).toEqual(['s0', 's10', 's2', 's4', 's6', 's8']);
  });

  it('reads every page of a list through rel="next"', async () => {
    const pages: number[] = [];
    for await (const page of canvasPages<{ id: number }>({ baseUrl: canvas.url, token: canvas.token, fetch: outboundFetch, sleep }, 'api/v1/courses/1234/users', [
      ['enrollment_type[]', 'student'],
      ['per_page', '5'],
    ])) {
      pages.push(page.length);
    }
    expect(pages).toEqual([5, 5, 2]);
  });

  it('slows down as X-Rate-Limit-Remaining runs low and retries when throttled', async () => {
    sleeps.length = 0;
    canvas.quota.remaining = 60;
    canvas.quota.throttleNext = 2;
    const ids: number[] = [];
    for await (const page of canvasPages<{ id: number }>({ baseUrl: canvas.url, token: canvas.token, fetch: outboundFetch, sleep }, 'api/v1/courses/1234/users', [
      ['enrollment_type[]', 'student'],
    ])) {
      ids.push(...page.map((user) => user.id));
    }
    expect(ids).toHaveLength(12);
    // Two 403 "Rate Limit Exceeded" answers: 1 s then 2 s; then a wait for the low bucket.
    expect(sleeps.slice(0, 2)).toEqual([1000, 2000]);
    expect(sleeps[2]).toBeGreaterThan(0);
  });

  it('refuses a rel="next" link to another origin, logs it, and never sends the API token there', async () => {
    const elsewhere = await startRecordingServer();
    const warnings: Array<Record<string, unknown>> = [];
    const log = { warn: (fields: Record<string, unknown>) => void warnings.push(fields) };
    canvas.linkOrigin = elsewhere.url;
    try {
      const pages: number[] = [];
      const read = async () => {
        for await (const page of canvasPages<{ id: number }>({ baseUrl: canvas.url, token: canvas.token, fetch: outboundFetch, sleep, log }, 'api/v1/courses/1234/users', [
          ['enrollment_type[]', 'student'],
          ['per_page', '5'],
        ])) {
          pages.push(page.length);
        }
      };
      await expect(read()).rejects.toMatchObject({ code: 'connector_link_refused', details: { origin: canvas.url, linkOrigin: elsewhere.url } });
      expect(elsewhere.authorizations).toEqual([]);
      // The first page came from Canvas itself; the link to the second is where it stops.
      expect(pages).toEqual([5]);
      expect(warnings).toEqual([expect.objectContaining({ connector: 'canvas', origin: canvas.url, linkOrigin: elsewhere.url })]);
    } finally {
      canvas.linkOrigin = null;
      await elsewhere.close();
    }
  });

  it('reports and logs a refused paging link when the course sync reads Canvas', async () => {
    const elsewhere = await startRecordingServer();
    const warnings: Array<{ fields: Record<string, unknown>; message: string }> = [];
    const quiet = () => {};
    const log = { warn: (fields: Record<string, unknown>, message: string) => void warnings.push({ fields, message }), info: quiet, error: quiet, debug: quiet } as unknown as Logger;
    canvas.linkOrigin = elsewhere.url;
    // Five students a page: the students list has a next page, and its link leads elsewhere.
    canvas.maxPerPage = 5;
    try {
      const report = await createCourseSync({ db, kek: testKek, ltiServices: null, fetch: outboundFetch, log })(course.contextId);
      expect(report.sources.canvas!.error).toMatch(/paging link/);
      expect(warnings.map((warning) => warning.fields)).toContainEqual(expect.objectContaining({ connector: 'canvas', linkOrigin: elsewhere.url }));
      expect(elsewhere.authorizations).toEqual([]);
    } finally {
      canvas.linkOrigin = null;
      canvas.maxPerPage = 100;
      await elsewhere.close();
    }
  });

  it('reports a bad token as connector_unauthorized', async () => {
    const read = async () => {
      for await (const _ of canvasPages({ baseUrl: canvas.url, token: 'nope', fetch: outboundFetch, sleep }, 'api/v1/courses/1234/users')) {
        // draining
      }
    };
    await expect(read()).rejects.toMatchObject({ code: 'connector_unauthorized' });
  });
});
