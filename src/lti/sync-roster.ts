/**
 * Brings a course's people up to date from the platform's roster (NRPS): names and
 * emails for credentials, roles and active status for enrollments, including learners
 * who never launched Sello.
 *
 * https://www.imsglobal.org/spec/lti-nrps/v2p0#membership-container-media-type
 */
import type { Database } from '../storage/database.ts';
import { createContextRepository } from '../storage/context-repository.ts';
import { createEnrollmentRepository } from '../storage/enrollment-repository.ts';
import { createUserRepository } from '../storage/user-repository.ts';
import { LtiError } from './errors.ts';
import type { LtiServices } from './services.ts';

export interface RosterSyncReport {
  members: number;
  inactive: number;
  differencesUrl: string | null;
}

/**
 * @throws LtiError `lti_service_failed` when the course has no roster service, and the
 *   service errors of `NrpsClient.getMembers`.
 */
export async function syncRoster({ db, services, contextId }: { db: Database; services: Pick<LtiServices, 'nrps'>; contextId: string }): Promise<RosterSyncReport> {
  const context = await createContextRepository(db).findById(contextId);
  if (!context?.nrpsUrl) throw new LtiError('lti_service_failed', 'The platform offered no roster service (NRPS) for this course', { contextId });
  const roster = await services.nrps(context.platformId).getMembers(context.nrpsUrl);
  let inactive = 0;
  await db.transaction(async (tx) => {
    const users = createUserRepository(tx);
    const enrollments = createEnrollmentRepository(tx);
    for (const member of roster.members) {
      const user = await users.upsert({
        platformId: context.platformId,
        sub: member.user_id,
        name: member.name ?? null,
        givenName: member.given_name ?? null,
        familyName: member.family_name ?? null,
        email: member.email ?? null,
        picture: member.picture ?? null,
      });
      const active = (member.status ?? 'Active') === 'Active';
      if (!active) inactive += 1;
      await enrollments.upsert({ contextId, userId: user.id, roles: member.roles ?? [], active });
    }
  });
  await createContextRepository(db).markSynced(contextId);
  return { members: roster.members.length, inactive, differencesUrl: roster.differencesUrl };
}
