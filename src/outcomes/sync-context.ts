/**
 * One sync of one course: reads every outcome source the course has (AGS results, and
 * the platform's Moodle or Canvas connector when configured), batch by batch, into
 * `ingestOutcomes`. Memory stays flat: a batch is stored before the next is read.
 */
import type { Database } from '../storage/database.ts';
import { createOutcomeRepository, type OutcomeContext } from '../storage/outcome-repository.ts';
import { ingestOutcomes, type IngestReport } from './ingest-outcomes.ts';
import type { OutcomeEvent } from './outcome-event.ts';
import { OutcomeError } from './outcome-error.ts';

/** A source of outcomes for a course: yields batches of events. */
export type OutcomeReader = (context: OutcomeContext) => AsyncIterable<OutcomeEvent[]>;

export interface SyncProgress {
  source: string;
  batches: number;
  report: IngestReport;
}

export interface SyncContextParameters {
  db: Database;
  contextId: string;
  /** Named readers; each one that fails is reported and the others still run. */
  readers: Record<string, OutcomeReader>;
  now: () => Date;
  onProgress?: (progress: SyncProgress) => void;
}

export interface SyncContextReport {
  contextId: string;
  sources: Record<string, { batches: number; error?: string }>;
  total: IngestReport;
}

/**
 * @throws OutcomeError `context_not_found`.
 */
export async function syncContext({ db, contextId, readers, now, onProgress }: SyncContextParameters): Promise<SyncContextReport> {
  const outcomes = createOutcomeRepository(db);
  const context = await outcomes.findContext(contextId);
  if (!context) throw new OutcomeError('context_not_found', `No course ${contextId}`, { contextId });
  const total: IngestReport = { received: 0, changed: 0, queued: 0, unknownContext: 0 };
  const sources: SyncContextReport['sources'] = {};
  for (const [source, read] of Object.entries(readers)) {
    sources[source] = { batches: 0 };
    try {
      for await (const events of read(context)) {
        const report = await ingestOutcomes({ db, events });
        for (const key of Object.keys(total) as Array<keyof IngestReport>) total[key] += report[key];
        sources[source]!.batches += 1;
        onProgress?.({ source, batches: sources[source]!.batches, report: { ...total } });
      }
    } catch (error) {
      sources[source]!.error = error instanceof Error ? error.message : String(error);
    }
  }
  await outcomes.markSynced(contextId, now());
  return { contextId, sources, total };
}
