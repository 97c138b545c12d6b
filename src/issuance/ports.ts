/**
 * The seams of the pipeline: signing a credential (the credentials capability) and
 * posting to the LMS gradebook (the LTI capability's AGS client). The pipeline only
 * depends on these shapes; `src/server.ts` plugs in the real ones.
 */
import type { Queryable } from '../storage/database.ts';
import type { Achievement } from '../storage/achievement-repository.ts';
import type { User } from '../storage/user-repository.ts';
import type { Award } from '../storage/award-repository.ts';
import type { OutcomeContext } from '../storage/outcome-repository.ts';

export interface SignAwardParameters {
  /** The transaction the credential row is written in. */
  db: Queryable;
  award: Award;
  achievement: Achievement;
  learner: User;
  /** Deterministic from the award: signing twice returns the same credential. */
  credentialId: string;
  now: Date;
}

/** Signs (or finds, when already signed) the award's credential and stores it in `credentials`. */
export interface AwardCredentialSigner {
  sign(parameters: SignAwardParameters): Promise<{ id: string; hash: string }>;
  /** Marks the credential revoked in its status list. */
  revoke(parameters: { db: Queryable; credentialId: string; reason: string; actor: string }): Promise<void>;
}

export interface PostBadgeParameters {
  context: OutcomeContext;
  achievement: Achievement;
  learner: User;
  /** The achievement's badge column (line item) in this course, when known. */
  lineItemUrl: string | null;
  /**
   * True when earned, false when revoked. Either way no grade is posted: a badge must not
   * change anyone's course total, so the post carries only the comment with the link.
   */
  earned: boolean;
  comment: string;
  /** The credential's verification page (Canvas shows it as the submission's link). */
  verificationUrl: string | null;
  /** Fixed per award so that repeating a post writes the very same score. */
  timestamp: Date;
}

/**
 * Posts a badge result to the course gradebook (an AGS score without `scoreGiven`:
 * `FullyGraded`, `Completed`, the comment). Posting it again must leave the gradebook as
 * it was (AGS scores replace).
 */
export interface GradebookPoster {
  postBadge(parameters: PostBadgeParameters): Promise<{ lineItemUrl: string | null; skipped?: string }>;
}

/** Steps between which a test can kill the process (SELLO_TEST_CRASH_AT). */
export type CrashPoint =
  | 'after_award'
  | 'after_sign'
  | 'after_signed'
  | 'after_post'
  | 'after_posted';

export type CrashHook = (point: CrashPoint) => void;
