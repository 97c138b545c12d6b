import { AppError } from '../errors.ts';

export type OutcomeErrorCode =
  | 'missing_webhook_headers'
  | 'missing_idempotency_key'
  | 'webhook_signature_unauthorized'
  | 'webhook_timestamp_unauthorized'
  | 'webhook_replay_unauthorized'
  | 'invalid_outcome_event'
  | 'idempotency_key_conflict'
  | 'connector_not_found'
  | 'connector_unavailable'
  | 'connector_unauthorized'
  | 'connector_link_refused'
  | 'context_not_found'
  | 'invalid_context';

/** Errors of the outcome sources (webhook, LMS connectors, syncs). */
export class OutcomeError extends AppError<OutcomeErrorCode> {}
