/**
 * The LMS side of a gradebook post, recorded: each post replaces the learner's score on
 * the line item, as an AGS platform does (https://www.imsglobal.org/spec/lti-ags/v2p0#score-publish-service).
 * Stands in for the sandbox LMS until the LTI capability's sandbox is in the tree.
 */
import type { GradebookPoster, PostBadgeParameters } from '../../../src/issuance/ports.ts';

export interface RecordingGradebook extends GradebookPoster {
  posts: PostBadgeParameters[];
  /** Current score per `lineItemUrl|sub`. */
  scores: Map<string, { earned: boolean; comment: string; timestamp: string }>;
  /** Makes the next `n` posts fail like an unreachable LMS. */
  failNext(n: number): void;
}

export function createRecordingGradebook(): RecordingGradebook {
  let failures = 0;
  const gradebook: RecordingGradebook = {
    posts: [],
    scores: new Map(),
    failNext(n) {
      failures = n;
    },
    async postBadge(parameters) {
      if (failures > 0) {
        failures -= 1;
        throw new Error('connect ECONNREFUSED lms.example:443');
      }
      gradebook.posts.push(parameters);
      gradebook.scores.set(`${parameters.lineItemUrl}|${parameters.learner.sub}`, {
        earned: parameters.earned,
        comment: parameters.comment,
        timestamp: parameters.timestamp.toISOString(),
      });
      return { lineItemUrl: parameters.lineItemUrl };
    },
  };
  return gradebook;
}
