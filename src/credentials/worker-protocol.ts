/**
 * The messages between a worker pool (`worker-pool.ts`, the submitting thread) and its
 * workers (`worker-side.ts`), and how an error crosses between them.
 */
import { AppError } from '../errors.ts';
import type { ThreadPriorityOutcome } from './thread-priority.ts';

export interface SerializedError {
  code?: string;
  message: string;
  details?: Record<string, unknown>;
}

export type ToWorker =
  /** `ahead`: handed ahead of time; the worker runs it only if it claims it first (see `Slot.claim` in `worker-pool.ts`). */
  | { type: 'job'; jobId: number; payload: unknown; ahead?: number }
  | { type: 'reply'; callId: number; ok: true; value: unknown }
  | { type: 'reply'; callId: number; ok: false; error: SerializedError };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'priority'; outcome: ThreadPriorityOutcome }
  | { type: 'call'; jobId: number; callId: number; name: string; args: unknown[] }
  /** `busyMs`: the worker's time on the job, less its waits for answers to its calls. */
  | { type: 'done'; jobId: number; result: unknown; busyMs: number }
  | { type: 'failed'; jobId: number; error: SerializedError; busyMs: number };

export function serializeError(error: unknown): SerializedError {
  const message = error instanceof Error ? error.message : String(error);
  if (!(error instanceof AppError)) return { message };
  let details: Record<string, unknown> | undefined;
  try {
    details = error.details ? (JSON.parse(JSON.stringify(error.details)) as Record<string, unknown>) : undefined;
  } catch {
    details = undefined;
  }
  return { code: error.code, message, ...(details ? { details } : {}) };
}

/** The error again on this side: an `AppError` keeps its code, so verification reports name it. */
export function deserializeError(error: SerializedError): Error {
  return error.code ? new AppError(error.code, error.message, error.details) : new Error(error.message);
}
