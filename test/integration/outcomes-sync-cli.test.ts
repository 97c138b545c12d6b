/**
 * `sello sync --context ID` as a user runs it: a child process on the same database,
 * reading a course from the Moodle web services fake.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/storage/database.ts';
import { migrate } from '../../src/storage/migrate.ts';
import { createOutcomeSecretRepository } from '../../src/storage/outcome-secret-repository.ts';
import { openTestDatabase, testDatabaseUrl, type TestDatabase } from '../support/database.ts';
import { makeTempDir, testKek } from '../support/config.ts';
import { seedCourse } from '../support/issuance/course-fixture.ts';
import { startFakeMoodle, type FakeMoodle } from '../support/moodle-ws-fake/index.ts';

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
let dataDir: string;
let shared: TestDatabase | null = null;
let moodle: FakeMoodle;

function env(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    SELLO_DATA_DIR: dataDir,
    ADMIN_TOKEN: 'test-admin-token-0123456789abcdef',
    SELLO_KEK: testKek.toString('hex'),
    // Nothing listens there: the command works on the database itself.
    PUBLIC_URL: 'http://127.0.0.1:9',
    // The fake Moodle listens on 127.0.0.1; on PostgreSQL Sello refuses private addresses by default.
    OUTBOUND_ALLOW_PRIVATE: 'true',
    ...(shared ? { DATABASE_URL: `${testDatabaseUrl}?options=${encodeURIComponent(`-c search_path=${shared.schema}`)}` } : {}),
  };
}

async function sello(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [path.join(root, 'bin', 'sello.js'), ...args], { cwd: root, env: env() });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

beforeAll(async () => {
  dataDir = makeTempDir('sello-sync-cli-');
  moodle = await startFakeMoodle();
  moodle.courses.set(42, {
    id: 42,
    activities: [{ cmid: 302, name: 'Quiz 3', modname: 'quiz', grademax: 10 }],
    users: [7, 8],
    grades: new Map([
      [7, new Map([[302, 9]])],
      [8, new Map([[302, 4]])],
    ]),
    completed: new Map(),
    courseTotals: new Map(),
  });
  let db: Database;
  if (testDatabaseUrl) {
    shared = await openTestDatabase();
    db = shared;
  } else {
    db = await openDatabase({ kind: 'embedded', dataDir: path.join(dataDir, 'pg') });
    await migrate(db);
  }
  const course = await seedCourse(db, { lmsContextId: '42', learners: ['7', '8'], criteria: { kind: 'all', rules: [{ kind: 'score', activity: 'moodle:cm:302', minPercent: 80 }] } });
  await createOutcomeSecretRepository({ db, kek: testKek }).setConnector({ platformId: course.platformId, kind: 'moodle', baseUrl: moodle.url, token: moodle.token });
  if (!shared) await db.close();
}, 120_000);

afterAll(async () => {
  await moodle.close();
  await shared?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('sello sync', () => {
  it('reads the course from its connector and prints what it found and queued', async () => {
    const result = await sello(['sync', '--context', '42', '--json']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout.trim().split('\n').at(-1)!);
    expect(report.context.lmsContextId).toBe('42');
    // The connector's roster (core_enrol_get_enrolled_users) is read first, then its grades.
    expect(report.sources).toEqual({ moodleRoster: { batches: 1 }, moodle: { batches: 2 } });
    expect(report.total).toEqual({ received: 4, changed: 2, queued: 2, unknownContext: 0 });

    const human = await sello(['sync', '--context', '42']);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('moodle: 2 batch(es)');
    expect(human.stdout).toContain('0 queued for evaluation');
  }, 120_000);

  it('says so when the course is unknown', async () => {
    const result = await sello(['sync', '--context', 'no-such-course']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('No course no-such-course');
  }, 60_000);
});
