/**
 * The course's people from the platform's Moodle web services connector
 * (`core_enrol_get_enrolled_users`): every enrolled learner with name, email and Moodle
 * user id (its LTI `sub`), so the credential of a learner who never launched Sello can be
 * issued, also where the platform offers no roster service (NRPS). Awards parked for
 * want of an email go back to the queue as soon as one arrives.
 *
 * Canvas's REST user ids are not its LTI `sub`s (Canvas users are matched by email),
 * so for Canvas the roster is NRPS, which Canvas always offers to LTI 1.3 tools.
 */
import type { OutboundFetch } from '../outbound/outbound-fetch.ts';
import type { Logger } from '../logger.ts';
import type { Database } from '../storage/database.ts';
import { createEnrollmentRepository } from '../storage/enrollment-repository.ts';
import { createJobRepository } from '../storage/job-repository.ts';
import { createUserRepository } from '../storage/user-repository.ts';
import { findConnectorCourseId, type OutcomeContext } from '../storage/outcome-repository.ts';
import type { OutcomeConnector } from '../storage/outcome-secret-repository.ts';
import { moodleRoleUri, readMoodleRoster } from './moodle-connector.ts';

export interface ConnectorRosterReport {
  members: number;
  requeued: number;
}

/**
 * @throws OutcomeError `connector_unauthorized`, `connector_unavailable` (see callMoodle).
 */
export async function syncConnectorRoster({
  db,
  connector,
  context,
  fetch,
  log,
}: {
  db: Database;
  connector: OutcomeConnector;
  context: Pick<OutcomeContext, 'id' | 'platformId' | 'lmsContextId'>;
  /** Sello's outbound client (src/outbound). */
  fetch: OutboundFetch;
  log?: Pick<Logger, 'info'>;
}): Promise<ConnectorRosterReport | null> {
  if (connector.kind !== 'moodle') return null;
  const courseId = (await findConnectorCourseId(db, context.id)) ?? context.lmsContextId;
  const report: ConnectorRosterReport = { members: 0, requeued: 0 };
  for await (const page of readMoodleRoster({ client: { baseUrl: connector.baseUrl, token: connector.token, fetch }, courseId })) {
    const reachable: string[] = [];
    await db.transaction(async (tx) => {
      const users = createUserRepository(tx);
      const enrollments = createEnrollmentRepository(tx);
      for (const member of page) {
        const user = await users.upsert({
          platformId: context.platformId,
          sub: String(member.id),
          name: member.fullname || null,
          givenName: member.firstname || null,
          familyName: member.lastname || null,
          email: member.email || null,
        });
        if (user.email || user.did) reachable.push(user.id);
        await enrollments.upsert({ contextId: context.id, userId: user.id, roles: (member.roles ?? []).map((role) => moodleRoleUri(role.shortname)) });
      }
    });
    report.members += page.length;
    report.requeued += await createJobRepository(db).requeueReachable(reachable);
  }
  log?.info({ contextId: context.id, members: report.members, requeued: report.requeued, source: 'moodle' }, 'roster synced');
  return report;
}
