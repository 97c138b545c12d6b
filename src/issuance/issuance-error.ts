import { AppError } from '../errors.ts';
import { CredentialError } from '../credentials/errors.ts';

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
  | 'signing_unavailable'
  | 'recipient_unreachable'
  | 'criteria_invalid';

/** Errors of the issuance pipeline and its pages. */
export class IssuanceError extends AppError<IssuanceErrorCode> {}

/**
 * Why a job waits without retrying; shown to instructors on the achievement's page.
 * `recipient_unreachable`: the learner has neither an email nor a DID yet (heals when a
 * roster sync, a launch or the webhook brings one). `criteria_invalid`: the achievement's
 * criteria no longer validate (heals when they are saved again). `credential_invalid`:
 * the credential cannot be built as configured (e.g. its validity period).
 */
export type ParkReason = 'recipient_unreachable' | 'criteria_invalid' | 'credential_invalid';

/**
 * The reason to park a failed job at once, or null when retrying may help (a network
 * error, an LMS that is down): an error that no retry can heal is not retried 8 times.
 */
export function parkReasonOf(error: unknown): ParkReason | null {
  if (error instanceof IssuanceError && (error.code === 'recipient_unreachable' || error.code === 'criteria_invalid')) return error.code;
  if (error instanceof CredentialError && error.code === 'invalid_credential') return 'credential_invalid';
  return null;
}
