/**
 * The one shape every outcome source produces. Sources speak in the LMS's own ids
 * (context id, user `sub`); ingestion maps them to Sello's rows.
 */
import { z } from 'zod';

export type OutcomeSource = 'ags' | 'moodle' | 'canvas' | 'webhook' | 'manual';

export interface OutcomeEvent {
  /** Sello's platform id (uuid). */
  platform: string;
  /** The LMS's context (course) id. */
  context: string;
  /** The LMS's user id: the LTI `sub`. */
  learner: string;
  /** The learner's name and email when the source knows them (the webhook): who the credential is for. */
  learnerName?: string;
  learnerEmail?: string;
  /** Activity key (see src/criteria/criteria-schema.ts); `course` is the course grade. */
  activity: string;
  /** Human name of the activity, when the source knows it. */
  activityName?: string;
  score: number | null;
  max: number | null;
  completed: boolean | null;
  /** When the LMS says the result was last changed. */
  at: Date;
  source: OutcomeSource;
}

/** The webhook's JSON form of one event (platform comes from the signature's key). */
export const webhookEventSchema = z
  .object({
    context: z.string().min(1).max(500),
    learner: z.string().min(1).max(500),
    learnerName: z.string().trim().min(1).max(500).optional(),
    learnerEmail: z.string().trim().email().max(320).optional(),
    activity: z.string().min(1).max(2000),
    activityName: z.string().min(1).max(500).optional(),
    score: z.number().finite().nullable().optional(),
    max: z.number().finite().positive().nullable().optional(),
    completed: z.boolean().nullable().optional(),
    at: z.string().datetime({ offset: true }),
  })
  .strict()
  .refine((event) => event.score != null || event.completed != null, { message: 'give score or completed', path: ['score'] })
  .refine((event) => event.score == null || event.max != null, { message: 'max is required with score', path: ['max'] });

export const webhookBodySchema = z.union([
  z.object({ events: z.array(webhookEventSchema).min(1).max(1000) }).strict(),
  webhookEventSchema,
]);

/** Stable identity of an event's content: equal events are duplicates. */
export function outcomeEventKey(event: OutcomeEvent): string {
  return JSON.stringify([event.platform, event.context, event.learner, event.activity, event.score, event.max, event.completed, event.at.toISOString()]);
}

/** Drops exact duplicates within one batch, keeping the first. */
export function dedupeOutcomeEvents(events: readonly OutcomeEvent[]): OutcomeEvent[] {
  const seen = new Set<string>();
  return events.filter((event) => {
    const key = outcomeEventKey(event);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
