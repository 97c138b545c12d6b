import { AppError } from '../errors.ts';

export type IssuanceErrorCode =
  | 'award_not_found'
  | 'achievement_not_found'
  | 'learner_not_found'
  | 'context_not_found'
  | 'job_not_found'
  | 'invalid_award_request'
  | 'award_revoked_conflict'
  | 'already_awarded'
  | 'award_state_conflict'
  | 'gradebook_unavailable'
  | 'signing_unavailable';

/** Errors of the issuance pipeline and its pages. */
export class IssuanceError extends AppError<IssuanceErrorCode> {}
