import { AppError } from '../errors.ts';

export type CriteriaErrorCode = 'invalid_criteria';

/** Criteria that cannot be saved: `details.problems` lists each one with its path. */
export class CriteriaError extends AppError<CriteriaErrorCode> {}
