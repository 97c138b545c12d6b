/**
 * The configured LMS REST connector of a platform as an outcome reader.
 */
import type { OutboundFetch } from '../outbound/outbound-fetch.ts';
import type { Logger } from '../logger.ts';
import type { Queryable } from '../storage/database.ts';
import { findConnectorCourseId, findLearnersByEmail } from '../storage/outcome-repository.ts';
import type { OutcomeConnector } from '../storage/outcome-secret-repository.ts';
import { readCanvasCourse } from './canvas-connector.ts';
import { readMoodleCourse } from './moodle-connector.ts';
import type { OutcomeReader } from './sync-context.ts';

export function connectorReader({
  db,
  connector,
  fetch,
  now = () => new Date(),
  sleep,
  log,
}: {
  db: Queryable;
  connector: OutcomeConnector;
  /** Sello's outbound client (src/outbound). */
  fetch: OutboundFetch;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  /** Where a refused paging link is reported. */
  log?: Pick<Logger, 'warn'>;
}): OutcomeReader {
  return async function* (context) {
    // Moodle's LTI context id is its course id; Canvas needs the mapping (migration 0401).
    const courseId = (await findConnectorCourseId(db, context.id)) ?? context.lmsContextId;
    const client = { baseUrl: connector.baseUrl, token: connector.token, fetch, sleep, log };
    if (connector.kind === 'moodle') {
      yield* readMoodleCourse({ client, platformId: context.platformId, lmsContextId: context.lmsContextId, courseId, now });
    } else {
      yield* readCanvasCourse({
        client,
        platformId: context.platformId,
        lmsContextId: context.lmsContextId,
        courseId,
        subsByEmail: (emails) => findLearnersByEmail(db, context.platformId, emails),
        now,
      });
    }
  };
}
