import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../support/database.ts';
import { seedCourse, type CourseFixture } from '../support/issuance/course-fixture.ts';
import { createSyncScheduler } from '../../src/outcomes/sync-scheduler.ts';
import { createLogger } from '../../src/logger.ts';

let db: TestDatabase;
let active: CourseFixture;
let dormant: CourseFixture;
const log = createLogger({ level: 'silent' });

beforeAll(async () => {
  db = await openTestDatabase();
  active = await seedCourse(db, { lmsContextId: 'active-course' });
  dormant = await seedCourse(db, { lmsContextId: 'dormant-course' });
  await db.query(`UPDATE contexts SET last_launch_at = now() - interval '90 days' WHERE id = $1`, [dormant.contextId]);
});
afterAll(async () => {
  await db.close();
});

describe('scheduled outcome sync', () => {
  it('syncs each active course once per interval even with two processes on the schedule', async () => {
    const synced: string[] = [];
    const scheduler = () => createSyncScheduler({ db, intervalS: 600, sync: async (id) => void synced.push(id), log });
    const [first, second] = await Promise.all([scheduler().runOnce(), scheduler().runOnce()]);
    expect([...first, ...second]).toEqual([active.contextId]);
    expect(synced).toEqual([active.contextId]);
    // Within the interval nothing is due.
    expect(await scheduler().runOnce()).toEqual([]);
  });

  it('syncs the course again once the interval has passed, and skips courses not launched lately', async () => {
    await db.query(`UPDATE contexts SET last_synced_at = now() - interval '11 minutes' WHERE id = $1`, [active.contextId]);
    const synced: string[] = [];
    const done = await createSyncScheduler({ db, intervalS: 600, sync: async (id) => void synced.push(id), log }).runOnce();
    expect(done).toEqual([active.contextId]);
    expect(synced).not.toContain(dormant.contextId);
  });

  it('keeps going when one course fails to sync', async () => {
    await db.query(`UPDATE contexts SET last_synced_at = NULL, last_launch_at = now()`);
    const done = await createSyncScheduler({
      db,
      intervalS: 600,
      sync: async (id) => {
        if (id === active.contextId) throw new Error('LMS down');
      },
      log,
    }).runOnce();
    expect(done).toEqual([dormant.contextId]);
  });
});
