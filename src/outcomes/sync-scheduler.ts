/**
 * Keeps active courses fresh: every `intervalS` seconds, each course launched in the
 * last `activeDays` whose last sync is older than the interval is claimed (one process
 * wins the claim) and synced. Started by the composition root, stopped on close.
 */
import type { Logger } from '../logger.ts';
import type { Database } from '../storage/database.ts';
import { claimContextSync, createOutcomeRepository } from '../storage/outcome-repository.ts';

export interface SyncSchedulerParameters {
  db: Database;
  intervalS: number;
  /** Courses launched within this many days count as active. */
  activeDays?: number;
  sync: (contextId: string) => Promise<unknown>;
  log: Logger;
  now?: () => Date;
}

export interface SyncScheduler {
  start(): void;
  stop(): Promise<void>;
  /** One pass now (tests, start-up); returns the courses synced. */
  runOnce(): Promise<string[]>;
}

export function createSyncScheduler({ db, intervalS, activeDays = 30, sync, log, now = () => new Date() }: SyncSchedulerParameters): SyncScheduler {
  let timer: NodeJS.Timeout | null = null;
  let pass: Promise<unknown> | null = null;
  const runOnce = async () => {
    const since = new Date(now().getTime() - activeDays * 86_400_000);
    const synced: string[] = [];
    for (const context of await createOutcomeRepository(db).listActiveContexts(since)) {
      if (!(await claimContextSync(db, context.id, intervalS))) continue;
      try {
        await sync(context.id);
        synced.push(context.id);
      } catch (error) {
        log.warn({ err: error, contextId: context.id }, 'scheduled outcome sync failed');
      }
    }
    return synced;
  };
  return {
    start() {
      if (timer) return;
      timer = setInterval(() => {
        if (pass) return; // the previous pass is still running
        pass = runOnce()
          .catch((error: unknown) => log.error({ err: error }, 'outcome sync pass failed'))
          .finally(() => (pass = null));
      }, intervalS * 1000);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      await pass;
    },
    runOnce,
  };
}
