/**
 * Issue 12, install guides: the Moodle and Canvas guides say what Moodle 4.5 really does
 * after Dynamic Registration, and the web services function list is exactly what
 * Sello's connector calls (measured against the Moodle fake, not copied by hand).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../support/database.ts';
import { startFakeMoodle, type FakeMoodle } from '../support/moodle-ws-fake/index.ts';
import { seedCourse } from '../support/issuance/course-fixture.ts';
import { testKek } from '../support/config.ts';
import { createCourseSync } from '../../src/issuance/start-issuance.ts';
import { createOutcomeSecretRepository } from '../../src/storage/outcome-secret-repository.ts';
import { canvasGuide, moodleGuide } from '../../src/lti/install-guides.ts';
import { createOutboundFetch } from '../../src/outbound/outbound-fetch.ts';

/** Sello's outbound client; the fakes listen on 127.0.0.1. */
const outboundFetch = createOutboundFetch({ allowPrivate: true });

const root = path.resolve(import.meta.dirname, '..', '..');

describe('the install guides', () => {
  let db: TestDatabase;
  let moodle: FakeMoodle;
  beforeAll(async () => {
    db = await openTestDatabase();
    moodle = await startFakeMoodle();
    const course = await seedCourse(db, { lmsContextId: '42', learners: ['7'], criteria: { kind: 'all', rules: [{ kind: 'score', activity: 'moodle:cm:302', minPercent: 80 }] } });
    moodle.courses.set(42, {
      id: 42,
      activities: [{ cmid: 302, name: 'Quiz 3', modname: 'quiz', grademax: 10 }],
      users: [7],
      grades: new Map([[7, new Map([[302, 9]])]]),
      completed: new Map(),
      courseTotals: new Map(),
    });
    await createOutcomeSecretRepository({ db, kek: testKek }).setConnector({ platformId: course.platformId, kind: 'moodle', baseUrl: moodle.url, token: moodle.token });
    await createCourseSync({ db, kek: testKek, ltiServices: null, fetch: outboundFetch })(course.contextId);
  });
  afterAll(async () => {
    await moodle?.close();
    await db?.close();
  });

  it('lists in the Moodle external service every web services function the connector calls, and no other', () => {
    const guide = moodleGuide('https://sello.example.edu');
    const listed = [...guide.matchAll(/^ {3}\| `([a-z_]+)` \|/gm)].map((m) => m[1]);
    const called = [...new Set(moodle.calls.map((call) => call.wsfunction))];
    expect(called.length).toBeGreaterThanOrEqual(3);
    for (const wsfunction of called) expect(listed).toContain(wsfunction);
    expect(listed.sort()).toEqual(['core_completion_get_activities_completion_status', 'core_course_get_contents', 'core_enrol_get_enrolled_users', 'gradereport_user_get_grade_items']);
  });

  it('tells the Moodle admin what Dynamic Registration leaves behind and how to set the connector', () => {
    const guide = moodleGuide('https://sello.example.edu');
    expect(guide).toContain('"Show as preconfigured tool when');
    expect(guide).toContain('**"Show in activity chooser and as a preconfigured tool"**');
    expect(guide).toContain('**"Delegate to teacher"**');
    expect(guide).toContain('**named after the activity**');
    expect(guide).toContain('no generic *External tool* entry');
    expect(guide).toContain('**Enable web services**');
    expect(guide).toContain('enable **REST protocol**');
    expect(guide).toContain('npx sello platforms connector <platform id> --kind moodle');
    expect(guide).toContain('PUT https://sello.example.edu/admin/api/platforms/<id>/connector');
    expect(canvasGuide('https://sello.example.edu')).toContain('npx sello platforms connector <platform id> --kind canvas');
    expect(canvasGuide('https://sello.example.edu')).toContain('`url:GET|/api/v1/courses/:course_id/assignments`');
  });

  it('ships lti-config/ as `sello lti-config` writes it for https://sello.example.edu', () => {
    expect(fs.readFileSync(path.join(root, 'lti-config', 'moodle.md'), 'utf8')).toBe(moodleGuide('https://sello.example.edu'));
    expect(fs.readFileSync(path.join(root, 'lti-config', 'canvas.md'), 'utf8')).toBe(canvasGuide('https://sello.example.edu'));
  });
});
