/**
 * Issuance as one running service, assembled for the composition root: the job worker,
 * the scheduled sync of active courses, the launch hook and the
 * "sync this course now" verb used by the CLI and the instructor pages.
 */
import { assertOutboundFetch, type OutboundFetch } from '../outbound/outbound-fetch.ts';
import type { Logger } from '../logger.ts';
import type { Database } from '../storage/database.ts';
import { createOutcomeRepository, setConnectorCourseId, type OutcomeContext } from '../storage/outcome-repository.ts';
import { createOutcomeSecretRepository } from '../storage/outcome-secret-repository.ts';
import type { LtiServices } from '../lti/services.ts';
import type { ChainReference } from '../credentials/chain-reference.ts';
import { readAgsResults } from '../outcomes/ags-results-sync.ts';
import { syncContext, type OutcomeReader, type SyncContextReport, type SyncProgress } from '../outcomes/sync-context.ts';
import { createSyncScheduler, type SyncScheduler } from '../outcomes/sync-scheduler.ts';
import { connectorReader } from '../outcomes/connector-reader.ts';
import { createContextRepository } from '../storage/context-repository.ts';
import { syncRoster } from '../lti/sync-roster.ts';
import { mergeBadgeColumns } from './badge-columns.ts';
import { syncConnectorRoster } from '../outcomes/connector-roster.ts';
import { refreshCourseActivities, type CourseActivitiesReport } from '../outcomes/course-activities.ts';
import { createAchievementRepository } from '../storage/achievement-repository.ts';
import { activitiesOf, renderNarratives, validateCriteria, type Criteria } from '../criteria/index.ts';
import { createIssuanceWorker, type IssuanceWorker } from './issuance-worker.ts';
import { createIssueCredentialSigner } from './credential-signer.ts';
import { createAgsGradebook } from './ags-gradebook.ts';
import type { IssuerKeyProvider } from './issuer-keys.ts';
import type { CommentLocale } from './badge-comment.ts';
import type { CrashHook, CrashPoint, GradebookPoster } from './ports.ts';

export interface StartIssuanceParameters {
  db: Database;
  log: Logger;
  keys: IssuerKeyProvider;
  /** Decrypts the platforms' connector tokens (`secrets.keyEncryptionKey`). */
  kek: Buffer;
  publicUrl: string;
  defaultLocale: CommentLocale;
  chainReference: () => ChainReference | null;
  /**
   * Resolves once `chainReference` is known; the worker (which signs) starts then. Given
   * when Sello started while the chain RPC was down; outcomes are still synced and queued.
   */
  chainReady?: Promise<unknown>;
  /** The LTI capability's AGS/NRPS clients; without them nothing is posted or read over AGS. */
  ltiServices: Pick<LtiServices, 'ags' | 'nrps'> | null;
  workers: number;
  maxAttempts: number;
  /** Claim lease of a job, seconds (config.issuance.leaseS). */
  leaseS: number;
  syncIntervalS: number;
  /** Test mode only: the step at which to kill this process (SELLO_TEST_CRASH_AT). */
  crashAt?: CrashPoint | null;
  /** Sello's outbound client (src/outbound): outgoing HTTP of the Moodle and Canvas connectors. */
  fetch: OutboundFetch;
  /** Overrides the gradebook port (the bench posts to the sandbox through it). */
  gradebook?: GradebookPoster;
}

export interface RunningIssuance {
  worker: IssuanceWorker;
  scheduler: SyncScheduler;
  /** Syncs one course now from every source it has. */
  syncNow(contextId: string, onProgress?: (progress: SyncProgress) => void): Promise<SyncContextReport>;
  /** The LTI launch hook: a launch syncs that course (an instructor's reads its roster, and first waits for its activities). */
  onLaunch(launch: LaunchToSync): Promise<void>;
  stop(): Promise<void>;
}

const skipGradebook: GradebookPoster = {
  async postBadge() {
    return { lineItemUrl: null, skipped: 'no_lti_services' };
  },
};

/** How long an instructor's launch waits for the course's activities before the page opens. */
const LAUNCH_ACTIVITIES_WAIT_MS = 5000;
/** A Deep Linking draft the LMS never showed saved is removed after this long. */
export const DRAFT_TTL_MS = 24 * 3600_000;

/**
 * Reads a course's activities by name (AGS line items, the Moodle or Canvas connector),
 * confirms the Deep Linking drafts whose line item the LMS now holds (the activity was
 * saved), and purges the course's drafts the LMS never saved.
 */
export function createActivityRefresh({
  db,
  kek,
  ltiServices,
  fetch: fetchImpl,
  now = () => new Date(),
  log,
}: {
  db: Database;
  kek: Buffer;
  ltiServices: Pick<LtiServices, 'ags'> | null;
  /** Sello's outbound client (src/outbound), for the Moodle and Canvas connectors. */
  fetch: OutboundFetch;
  now?: () => Date;
  /** Where a connector's refused paging link is reported. */
  log?: Pick<Logger, 'warn'>;
}): (contextId: string) => Promise<CourseActivitiesReport | null> {
  assertOutboundFetch(fetchImpl, 'The activity refresh');
  const secrets = createOutcomeSecretRepository({ db, kek });
  return async (contextId) => {
    const context = await createOutcomeRepository(db).findContext(contextId);
    if (!context) return null;
    const report = await refreshCourseActivities({
      db,
      context,
      ags: ltiServices ? ltiServices.ags(context.platformId) : null,
      connector: await secrets.findConnector(context.platformId),
      fetch: fetchImpl,
      log,
    });
    const achievements = createAchievementRepository(db);
    await renameActivitiesInNarratives(db, contextId);
    await achievements.confirmAll(report.lineItems.map((item) => item.resourceId).filter((id): id is string => typeof id === 'string' && UUID.test(id)));
    await achievements.purgeDrafts(new Date(now().getTime() - DRAFT_TTL_MS), contextId);
    return report;
  };
}

/**
 * Narratives written while an activity's name was unknown show its key ("Score at least
 * 80% in moodle:cm:3"); once the name is known they are written again, so credentials
 * issued from now on say "Quiz 3". Library achievements shared by several courses are
 * left alone (one course's names are not another's).
 */
async function renameActivitiesInNarratives(db: Database, contextId: string): Promise<void> {
  const names = new Map((await createOutcomeRepository(db).listActivities(contextId)).map((a) => [a.activity, a.name]));
  if (names.size === 0) return;
  const achievements = createAchievementRepository(db);
  for (const achievement of await achievements.listForContext(contextId)) {
    if (achievement.contextId !== contextId) continue;
    let criteria: Criteria;
    try {
      criteria = validateCriteria({ criteria: achievement.criteria });
    } catch {
      continue;
    }
    const named = activitiesOf(criteria).filter((key) => names.has(key));
    const stale = Object.values(achievement.criteriaNarrative ?? {}).some((narrative) => named.some((key) => narrative.includes(key)));
    if (stale) await achievements.update(achievement.id, { criteriaNarrative: renderNarratives({ criteria, activityNames: names }) });
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * "Sync this course now" from every source it has: first its people (the NRPS roster,
 * so every learner has a name and an email before any award), then its badge columns
 * (extra ones merged into each badge's one column), then AGS results when the LTI
 * services are there and the course has a line items service, and the platform's Moodle
 * or Canvas connector when one is configured. Shared by the server, its schedule and
 * `sello sync`. A source that fails is reported (`sources.<name>.error`); the others run.
 */
export function createCourseSync({
  db,
  kek,
  ltiServices,
  fetch: fetchImpl,
  log,
}: {
  db: Database;
  /** Decrypts the platforms' connector tokens (`secrets.keyEncryptionKey`). */
  kek: Buffer;
  ltiServices: Pick<LtiServices, 'ags'> | Pick<LtiServices, 'ags' | 'nrps'> | null;
  /** Sello's outbound client (src/outbound), for the Moodle and Canvas connectors. */
  fetch: OutboundFetch;
  log?: Logger;
}): (contextId: string, onProgress?: (progress: SyncProgress) => void, options?: CourseSyncOptions) => Promise<SyncContextReport> {
  assertOutboundFetch(fetchImpl, 'The course sync');
  const secrets = createOutcomeSecretRepository({ db, kek });
  const readersFor = async (context: OutcomeContext): Promise<Record<string, OutcomeReader>> => {
    const readers: Record<string, OutcomeReader> = {};
    if (ltiServices && context.agsLineItemsUrl) {
      readers.ags = (ctx) => readAgsResults({ ags: ltiServices.ags(ctx.platformId), context: ctx, now: () => new Date() });
    }
    const connector = await secrets.findConnector(context.platformId);
    if (connector) readers[connector.kind] = connectorReader({ db, connector, fetch: fetchImpl, log });
    return readers;
  };
  const before = async (context: OutcomeContext, roster: boolean): Promise<SyncContextReport['sources']> => {
    const sources: SyncContextReport['sources'] = {};
    const nrpsUrl = roster ? (await createContextRepository(db).findById(context.id))?.nrpsUrl : null;
    if (ltiServices && 'nrps' in ltiServices && nrpsUrl) {
      try {
        await syncRoster({ db, services: ltiServices, contextId: context.id, log });
        sources.nrps = { batches: 1 };
      } catch (error) {
        sources.nrps = { batches: 0, error: error instanceof Error ? error.message : String(error) };
      }
    }
    const connector = roster ? await secrets.findConnector(context.platformId) : null;
    if (connector?.kind === 'moodle') {
      try {
        await syncConnectorRoster({ db, connector, context, fetch: fetchImpl, log });
        sources.moodleRoster = { batches: 1 };
      } catch (error) {
        sources.moodleRoster = { batches: 0, error: error instanceof Error ? error.message : String(error) };
      }
    }
    if (ltiServices && context.agsLineItemsUrl) {
      try {
        await mergeBadgeColumns({ db, ags: ltiServices.ags(context.platformId), context, log });
      } catch (error) {
        sources.badgeColumns = { batches: 0, error: error instanceof Error ? error.message : String(error) };
      }
    }
    return sources;
  };
  const refreshActivities = createActivityRefresh({ db, kek, ltiServices, fetch: fetchImpl, log });
  return async (contextId, onProgress, options = {}) => {
    // Names first: criteria and narratives need them even for activities nobody has a grade in.
    await refreshActivities(contextId).catch(() => null);
    const context = await createOutcomeRepository(db).findContext(contextId);
    const early = context ? await before(context, options.roster ?? true) : {};
    const readers = context ? await readersFor(context) : {};
    const report = await syncContext({ db, contextId, readers, now: () => new Date(), onProgress });
    return { ...report, sources: { ...early, ...report.sources } };
  };
}

export interface CourseSyncOptions {
  /** Read the roster (NRPS) first; true unless said otherwise (a learner's launch skips it). */
  roster?: boolean;
}

/** What the launch hook needs to know of a launch (a subset of the LTI capability's LaunchEvent). */
export interface LaunchToSync {
  contextId: string;
  isInstructor?: boolean;
  custom?: Record<string, unknown>;
}

/**
 * The launch hook: records Canvas's numeric course id (the custom parameter
 * `canvas_course_id=$Canvas.course.id` that Sello's developer key asks for) for the
 * connector, makes an instructor's launch wait briefly for the course's activities by
 * name, and syncs the course in the background.
 *
 * One launch sync of a course runs at a time: the launches that arrive while it runs
 * share one more sync, started when it ends (with the roster if any of them was an
 * instructor's). Every launch is still followed by a sync that starts after it, but a
 * class opening Sello together no longer starts a whole-course sync per learner (at 50
 * launches at a time in one course, each sync read the course's line items three times).
 */
export function createLaunchSync({
  db,
  log,
  refreshActivities,
  syncNow,
  waitMs = LAUNCH_ACTIVITIES_WAIT_MS,
}: {
  db: Database;
  log: Logger;
  refreshActivities: (contextId: string) => Promise<unknown>;
  /** `roster`: read the course's roster first (an instructor's launch does). */
  syncNow: (contextId: string, options?: CourseSyncOptions) => Promise<unknown>;
  waitMs?: number;
}): (launch: LaunchToSync) => Promise<void> {
  // contextId → the launches waiting for the next sync of that course (null: none yet).
  const running = new Map<string, { roster: boolean } | null>();
  const syncAfterLaunch = (contextId: string, roster: boolean) => {
    if (running.has(contextId)) {
      const waiting = running.get(contextId);
      running.set(contextId, { roster: roster || (waiting?.roster ?? false) });
      return;
    }
    running.set(contextId, null);
    void (async () => {
      for (let next: { roster: boolean } | null | undefined = { roster }; next; next = running.get(contextId)) {
        running.set(contextId, null);
        await syncNow(contextId, { roster: next.roster }).catch((error: unknown) => log.warn({ err: error, contextId }, 'launch sync failed'));
      }
      running.delete(contextId);
    })();
  };
  return async (launch) => {
    const canvasCourseId = launch.custom?.canvas_course_id;
    if (typeof canvasCourseId === 'string' && /^\d{1,20}$/.test(canvasCourseId)) await setConnectorCourseId(db, launch.contextId, canvasCourseId);
    if (launch.isInstructor) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        refreshActivities(launch.contextId).catch((error: unknown) => log.warn({ err: error, contextId: launch.contextId }, 'reading the course activities failed')),
        new Promise((resolve) => (timer = setTimeout(resolve, waitMs))),
      ]);
      clearTimeout(timer);
    }
    // In the background: a launch must not wait for a whole course's gradebook.
    // The roster is read at an instructor's launch (and by the schedule); a learner's
    // launch brings that learner's own profile.
    syncAfterLaunch(launch.contextId, launch.isInstructor === true);
  };
}

export function startIssuance(parameters: StartIssuanceParameters): RunningIssuance {
  const { db, log, ltiServices } = parameters;
  const crashAt: CrashHook | undefined = parameters.crashAt
    ? (point) => {
        if (point === parameters.crashAt) {
          log.warn({ point }, 'SELLO_TEST_CRASH_AT: killing this process');
          process.kill(process.pid, 'SIGKILL');
        }
      }
    : undefined;
  // Read at each signing: the worker starts only once the reference is known (chainReady).
  const signer = createIssueCredentialSigner({ keys: parameters.keys, publicUrl: parameters.publicUrl, chainReference: parameters.chainReference });
  const worker = createIssuanceWorker({
    db,
    signer,
    gradebook: parameters.gradebook ?? (ltiServices ? createAgsGradebook({ db, services: ltiServices }) : skipGradebook),
    publicUrl: parameters.publicUrl,
    defaultLocale: parameters.defaultLocale,
    log,
    concurrency: parameters.workers,
    maxAttempts: parameters.maxAttempts,
    leaseMs: parameters.leaseS * 1000,
    crashAt,
  });

  const courseSync = createCourseSync({ db, kek: parameters.kek, ltiServices, fetch: parameters.fetch, log });
  const refreshActivities = createActivityRefresh({ db, kek: parameters.kek, ltiServices, fetch: parameters.fetch, log });
  const syncNow = async (contextId: string, onProgress?: (progress: SyncProgress) => void, options?: CourseSyncOptions) => {
    const report = await courseSync(contextId, onProgress, options);
    // Roster syncs and merged columns may have queued parked or moved awards too.
    worker.poke();
    return report;
  };

  const scheduler = createSyncScheduler({ db, intervalS: parameters.syncIntervalS, sync: (id) => syncNow(id), log });
  let stopped = false;
  if (parameters.chainReady) {
    log.warn('issuance waits for the chain: outcomes are synced and queued, credentials are signed once the chain answers');
    void parameters.chainReady.then(() => {
      if (!stopped) worker.start();
    });
  } else worker.start();
  scheduler.start();

  return {
    worker,
    scheduler,
    syncNow,
    onLaunch: createLaunchSync({ db, log, refreshActivities, syncNow: (contextId, options) => syncNow(contextId, undefined, options) }),
    async stop() {
      stopped = true;
      await scheduler.stop();
      await worker.stop();
    },
  };
}
