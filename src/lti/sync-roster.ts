/**
 * Brings a course's people up to date from the platform's roster (NRPS): names and
 * emails for credentials, roles and active status for enrollments, including learners
 * who never launched Sello. Every page is read (`rel="next"`); when the platform offers
 * a `rel="differences"` link, the next sync asks it for the changes only, and falls back
 * to the whole roster if that link no longer answers.
 *
 * Awards parked because their learner had no email go back to the queue as soon as the
 * roster brings one.
 *
 * https://www.imsglobal.org/spec/lti-nrps/v2p0#membership-container-media-type
 * https://www.imsglobal.org/spec/lti-nrps/v2p0#limit-query-parameter (paging)
 * https://www.imsglobal.org/spec/lti-nrps/v2p0#membership-differences
 */
import type { Logger } from '../logger.ts';
import type { Database } from '../storage/database.ts';
import { createContextRepository } from '../storage/context-repository.ts';
import { createEnrollmentRepository } from '../storage/enrollment-repository.ts';
import { createJobRepository } from '../storage/job-repository.ts';
import { createUserRepository } from '../storage/user-repository.ts';
import { LtiError } from './errors.ts';
import type { LtiServices, Member, Membership } from './services.ts';

export interface RosterSyncReport {
  members: number;
  inactive: number;
  /** True when only the changes since the last sync were read. */
  differences: boolean;
  differencesUrl: string | null;
  /** Parked awards sent back to the queue because their learner now has an email. */
  requeued: number;
}

/**
 * @throws LtiError `lti_service_failed` when the course has no roster service, and the
 *   service errors of `NrpsClient.getMembers`.
 */
export async function syncRoster({
  db,
  services,
  contextId,
  log,
}: {
  db: Database;
  services: Pick<LtiServices, 'nrps'>;
  contextId: string;
  log?: Pick<Logger, 'info' | 'warn'>;
}): Promise<RosterSyncReport> {
  const contexts = createContextRepository(db);
  const context = await contexts.findById(contextId);
  if (!context?.nrpsUrl) throw new LtiError('lti_service_failed', 'The platform offered no roster service (NRPS) for this course', { contextId });
  const nrps = services.nrps(context.platformId);
  let roster: Membership | null = null;
  let differences = false;
  if (context.nrpsDifferencesUrl) {
    try {
      roster = await nrps.getMembers(context.nrpsDifferencesUrl, { serviceUrl: context.nrpsUrl });
      differences = true;
    } catch (error) {
      // A differences link may expire; the whole roster always answers. One kept from
      // before links were checked may lead elsewhere: refused, and the roster read instead.
      if (!(error instanceof LtiError) || (error.code !== 'lti_service_failed' && error.code !== 'lti_service_link_refused')) throw error;
      log?.warn({ contextId, status: error.details?.status }, 'roster differences link refused; reading the whole roster');
    }
  }
  roster ??= await nrps.getMembers(context.nrpsUrl);
  const { inactive, reachable } = await storeMembers(db, context.platformId, contextId, roster.members);
  await contexts.setNrpsDifferencesUrl(contextId, roster.differencesUrl);
  await contexts.markSynced(contextId);
  const requeued = await createJobRepository(db).requeueReachable(reachable);
  log?.info({ contextId, members: roster.members.length, inactive, differences, requeued }, 'roster synced');
  return { members: roster.members.length, inactive, differences, differencesUrl: roster.differencesUrl, requeued };
}

async function storeMembers(db: Database, platformId: string, contextId: string, members: readonly Member[]) {
  let inactive = 0;
  const reachable: string[] = [];
  await db.transaction(async (tx) => {
    const users = createUserRepository(tx);
    const enrollments = createEnrollmentRepository(tx);
    for (const member of members) {
      if (typeof member.user_id !== 'string' || member.user_id.length === 0) continue;
      const user = await users.upsert({
        platformId,
        sub: member.user_id,
        name: member.name ?? null,
        givenName: member.given_name ?? null,
        familyName: member.family_name ?? null,
        email: member.email ?? null,
        picture: member.picture ?? null,
      });
      if (user.email || user.did) reachable.push(user.id);
      const active = (member.status ?? 'Active') === 'Active';
      if (!active) inactive += 1;
      await enrollments.upsert({ contextId, userId: user.id, roles: member.roles ?? [], active });
    }
  });
  return { inactive, reachable };
}
