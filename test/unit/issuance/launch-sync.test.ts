import { describe, expect, it } from 'vitest';
import { createLaunchSync, type CourseSyncOptions } from '../../../src/issuance/start-issuance.ts';
import { createLogger } from '../../../src/logger.ts';
import type { Database } from '../../../src/storage/database.ts';

/** A course sync that ends when the test says so, recording how it was asked for. */
function controlledSync() {
  const calls: Array<{ contextId: string; roster: boolean; finish: () => void }> = [];
  const syncNow = (contextId: string, options?: CourseSyncOptions) =>
    new Promise<void>((resolve) => calls.push({ contextId, roster: options?.roster === true, finish: resolve }));
  return { calls, syncNow };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

function launchSync(syncNow: (contextId: string, options?: CourseSyncOptions) => Promise<unknown>) {
  // No launch here carries canvas_course_id and none is an instructor's that reads
  // activities: the database and refreshActivities are never reached.
  return createLaunchSync({ db: undefined as unknown as Database, log: createLogger({ level: 'silent' }), refreshActivities: async () => null, syncNow, waitMs: 0 });
}

describe('the launch sync', () => {
  it('syncs a course once more after its running sync when a class launches together, not once per launch', async () => {
    const { calls, syncNow } = controlledSync();
    const onLaunch = launchSync(syncNow);
    await onLaunch({ contextId: 'course-1' });
    for (let i = 0; i < 49; i += 1) await onLaunch({ contextId: 'course-1' });
    await settle();
    expect(calls).toHaveLength(1);
    calls[0]!.finish();
    await settle();
    // The launches that arrived during the first sync are followed by one that starts after them.
    expect(calls).toHaveLength(2);
    calls[1]!.finish();
    await settle();
    expect(calls).toHaveLength(2);
  });

  it('reads the roster in the shared sync when an instructor launched while a learner sync ran', async () => {
    const { calls, syncNow } = controlledSync();
    const onLaunch = launchSync(syncNow);
    await onLaunch({ contextId: 'course-1' });
    await onLaunch({ contextId: 'course-1', isInstructor: true });
    await onLaunch({ contextId: 'course-1' });
    await settle();
    calls[0]!.finish();
    await settle();
    expect(calls.map((call) => call.roster)).toEqual([false, true]);
  });

  it('syncs other courses without waiting, and a course again at its next launch', async () => {
    const { calls, syncNow } = controlledSync();
    const onLaunch = launchSync(syncNow);
    await onLaunch({ contextId: 'course-1' });
    await onLaunch({ contextId: 'course-2' });
    await settle();
    expect(calls.map((call) => call.contextId)).toEqual(['course-1', 'course-2']);
    calls[0]!.finish();
    calls[1]!.finish();
    await settle();
    await onLaunch({ contextId: 'course-1' });
    await settle();
    expect(calls.map((call) => call.contextId)).toEqual(['course-1', 'course-2', 'course-1']);
  });

  it('goes on syncing a course after a sync failed', async () => {
    let attempts = 0;
    const onLaunch = launchSync(async () => {
      attempts += 1;
      throw new Error('LMS down');
    });
    await onLaunch({ contextId: 'course-1' });
    await settle();
    await onLaunch({ contextId: 'course-1' });
    await settle();
    expect(attempts).toBe(2);
  });
});
