/**
 * Where every outcome source ends: normalized events are stored (newest state per
 * learner and activity) and, for every learner whose state changed, one `evaluate` job
 * is queued, all in one transaction. A replayed or duplicate event changes nothing and
 * queues nothing.
 */
import type { Database } from '../storage/database.ts';
import { createOutcomeRepository, resolveLearners, type StoredOutcome } from '../storage/outcome-repository.ts';
import { createJobRepository } from '../storage/job-repository.ts';
import { createUserRepository } from '../storage/user-repository.ts';
import { dedupeOutcomeEvents, type OutcomeEvent } from './outcome-event.ts';

export interface IngestOutcomesParameters {
  db: Database;
  events: readonly OutcomeEvent[];
}

export interface IngestReport {
  received: number;
  /** Learners whose known state changed. */
  changed: number;
  /** Learners queued for evaluation. */
  queued: number;
  /** Events for courses Sello has never seen (no launch yet): ignored. */
  unknownContext: number;
}

/** Largest batch stored in one statement: bounds memory and statement size. */
const CHUNK = 1000;

/**
 * Stores events and queues evaluations.
 *
 * @see https://www.imsglobal.org/spec/lti-ags/v2p0#result-service (what AGS results carry)
 */
export async function ingestOutcomes({ db, events }: IngestOutcomesParameters): Promise<IngestReport> {
  const report: IngestReport = { received: events.length, changed: 0, queued: 0, unknownContext: 0 };
  const unique = dedupeOutcomeEvents(events);
  for (let start = 0; start < unique.length; start += CHUNK) {
    const chunk = unique.slice(start, start + CHUNK);
    await db.transaction(async (tx) => {
      const outcomes = createOutcomeRepository(tx);
      const stored: StoredOutcome[] = [];
      const reachable: string[] = [];
      const activities = new Map<string, { contextId: string; activity: string; name: string; source: string; max: number | null }>();
      const byPlatform = new Map<string, OutcomeEvent[]>();
      for (const event of chunk) byPlatform.set(event.platform, [...(byPlatform.get(event.platform) ?? []), event]);
      for (const [platform, platformEvents] of byPlatform) {
        const contexts = new Map<string, string | null>();
        for (const lmsContextId of new Set(platformEvents.map((event) => event.context))) {
          contexts.set(lmsContextId, (await outcomes.findContextByLmsId(platform, lmsContextId))?.id ?? null);
        }
        const known = platformEvents.filter((event) => contexts.get(event.context));
        report.unknownContext += platformEvents.length - known.length;
        const learners = await resolveLearners(tx, platform, known.map((event) => event.learner));
        // A custom integration without a roster says who the learner is with the outcome.
        const users = createUserRepository(tx);
        for (const event of known) {
          if (!event.learnerName && !event.learnerEmail) continue;
          const user = await users.upsert({ platformId: platform, sub: event.learner, name: event.learnerName ?? null, email: event.learnerEmail ?? null });
          if (user.email || user.did) reachable.push(user.id);
        }
        for (const event of known) {
          const contextId = contexts.get(event.context)!;
          stored.push({
            contextId,
            userId: learners.get(event.learner)!,
            activity: event.activity,
            score: event.score,
            max: event.max,
            completed: event.completed,
            at: event.at,
            source: event.source,
          });
          if (event.activityName) {
            activities.set(`${contextId}/${event.activity}`, {
              contextId,
              activity: event.activity,
              name: event.activityName,
              source: event.source,
              max: event.max,
            });
          }
        }
      }
      await outcomes.upsertActivities([...activities.values()]);
      const changed = await outcomes.record(mergeSameActivity(stored));
      report.changed += changed.length;
      // Awards parked for want of an email heal as soon as one arrives.
      await createJobRepository(tx).requeueReachable(reachable);
      report.queued += await createJobRepository(tx).enqueue(
        changed.map(({ contextId, userId }) => ({ kind: 'evaluate' as const, key: `${contextId}/${userId}`, payload: { contextId, userId } })),
      );
    });
  }
  return report;
}

/**
 * One row per (course, learner, activity): a source may say the grade and the completion
 * of one activity in two events; they are folded oldest first, later values winning.
 */
function mergeSameActivity(outcomes: StoredOutcome[]): StoredOutcome[] {
  const merged = new Map<string, StoredOutcome>();
  for (const outcome of [...outcomes].sort((a, b) => a.at.getTime() - b.at.getTime())) {
    const key = `${outcome.contextId}/${outcome.userId}/${outcome.activity}`;
    const previous = merged.get(key);
    merged.set(
      key,
      previous
        ? {
            ...outcome,
            score: outcome.score ?? previous.score,
            max: outcome.max ?? previous.max,
            completed: outcome.completed ?? previous.completed,
          }
        : outcome,
    );
  }
  return [...merged.values()];
}
