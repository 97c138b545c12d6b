/**
 * What a verified launch leaves in Sello's database: the platform-scoped user, the
 * course with its AGS/NRPS endpoints and locale, the enrollment with its roles, the
 * deployment (checked against the platform's known ones) and the session row behind the
 * ltik.
 *
 * https://www.imsglobal.org/spec/lti/v1p3#required-message-claims
 * https://www.imsglobal.org/spec/lti-ags/v2p0#assignment-and-grade-service-claim
 * https://www.imsglobal.org/spec/lti-nrps/v2p0#lti-1-3-integration
 */
import type { Database } from '../storage/database.ts';
import { createAchievementRepository } from '../storage/achievement-repository.ts';
import { createContextRepository } from '../storage/context-repository.ts';
import { createEnrollmentRepository } from '../storage/enrollment-repository.ts';
import { createJobRepository } from '../storage/job-repository.ts';
import { createLtiLaunchRepository, type LtiLaunch } from '../storage/lti-launch-repository.ts';
import { createPlatformRepository, type Platform } from '../storage/platform-repository.ts';
import { createUserRepository } from '../storage/user-repository.ts';
import { CLAIM, isInstructorRole } from './claims.ts';
import { LtiError } from './errors.ts';

/** How long an ltik keeps working after its launch (a class period and then some). */
export const SESSION_HOURS = 8;

export type IdTokenClaims = Record<string, unknown> & { iss: string; sub: string; aud: string | string[] };

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function localeOf(claims: IdTokenClaims, fallback: 'en' | 'es'): 'en' | 'es' {
  const presentation = claims[CLAIM.launchPresentation] as { locale?: string } | undefined;
  const custom = claims[CLAIM.custom] as Record<string, unknown> | undefined;
  for (const tag of [presentation?.locale, claims.locale, custom?.user_locale]) {
    const primary = typeof tag === 'string' ? tag.trim().toLowerCase().split(/[-_]/)[0] : null;
    if (primary === 'es' || primary === 'en') return primary;
  }
  return fallback;
}

const str = (value: unknown): string | null => (typeof value === 'string' && value.length > 0 ? value : null);

/**
 * Records a launch whose id_token ltijs has verified (signature, iss, aud, nonce, exp/iat,
 * message type, version).
 *
 * @throws LtiError `lti_platform_unknown` (ltijs knows the platform, Sello does not),
 *   `lti_platform_inactive`, `lti_deployment_unknown` (the platform has deployments on
 *   record and this is not one), `lti_claims_invalid` (no course context).
 */
export async function recordLaunch({
  db,
  claims,
  clientId,
  state,
  defaultLocale,
}: {
  db: Database;
  claims: IdTokenClaims;
  clientId: string;
  state: string;
  defaultLocale: 'en' | 'es';
}): Promise<{ launch: LtiLaunch; platform: Platform }> {
  const platforms = createPlatformRepository(db);
  const platform = await platforms.findByIssuerAndClient(claims.iss, clientId);
  if (!platform) throw new LtiError('lti_platform_unknown', 'This LMS is not registered in Sello', { iss: claims.iss, clientId });
  if (platform.status !== 'active') {
    throw new LtiError('lti_platform_inactive', `This LMS registration is ${platform.status} in Sello; an administrator must approve it`, {
      status: platform.status,
    });
  }
  const deploymentId = String(claims[CLAIM.deploymentId] ?? '');
  if (platform.deploymentIds.length > 0 && !platform.deploymentIds.includes(deploymentId)) {
    throw new LtiError('lti_deployment_unknown', 'This deployment of Sello is not registered for the LMS', { deploymentId });
  }
  const context = claims[CLAIM.context] as { id?: string; title?: string; label?: string } | undefined;
  if (!context?.id) throw new LtiError('lti_claims_invalid', 'Sello must be opened from inside a course (the launch has no context)');
  const roles = Array.isArray(claims[CLAIM.roles]) ? (claims[CLAIM.roles] as unknown[]).map(String) : [];
  const locale = localeOf(claims, defaultLocale);
  const ags = claims[CLAIM.ags] as { lineitems?: string; lineitem?: string; scope?: string[] } | undefined;
  const nrps = claims[CLAIM.nrps] as { context_memberships_url?: string } | undefined;
  const messageType = String(claims[CLAIM.messageType]) as LtiLaunch['messageType'];
  const resourceLink = claims[CLAIM.resourceLink] as { id?: string } | undefined;
  const custom = (claims[CLAIM.custom] as Record<string, unknown> | undefined) ?? {};

  const launch = await db.transaction(async (tx) => {
    // First launch of a platform registered without a deployment id records it; later
    // launches from other deployments are refused (see above).
    if (platform.deploymentIds.length === 0) await createPlatformRepository(tx).addDeployment(platform.id, deploymentId);
    const user = await createUserRepository(tx).upsert({
      platformId: platform.id,
      sub: claims.sub,
      name: str(claims.name),
      givenName: str(claims.given_name),
      familyName: str(claims.family_name),
      email: str(claims.email),
      picture: str(claims.picture),
      locale,
    });
    const course = await createContextRepository(tx).recordLaunch({
      platformId: platform.id,
      lmsContextId: context.id!,
      title: str(context.title) ?? undefined,
      label: str(context.label) ?? undefined,
      locale,
      agsLineItemsUrl: str(ags?.lineitems) ?? undefined,
      agsScopes: Array.isArray(ags?.scope) ? ags!.scope!.map(String) : undefined,
      nrpsUrl: str(nrps?.context_memberships_url) ?? undefined,
    });
    await createEnrollmentRepository(tx).upsert({ contextId: course.id, userId: user.id, roles });
    // An award parked for want of this learner's email goes back to the queue.
    if (user.email || user.did) await createJobRepository(tx).requeueReachable([user.id]);
    // A resource link Sello created by Deep Linking says which achievement it is for; keep
    // where it lives and its line item so grades can be matched to it.
    const achievementId = str(custom.achievement_id);
    if (messageType === 'LtiResourceLinkRequest' && achievementId && uuidPattern.test(achievementId)) {
      const achievements = createAchievementRepository(tx);
      const named = await achievements.findById(achievementId);
      // Teachers can edit an activity's custom parameters, and achievement ids are public
      // (every credential names one): a link may only name this course's own achievement,
      // one of its issuer's library, or one already attached here. Anything else would
      // hand this course's instructors another course's achievement (its editor, its awards).
      const allowed =
        named !== null &&
        named.issuerId === platform.issuerId &&
        (named.contextId === course.id || named.contextId === null || (await achievements.findLink(named.id, course.id)) !== null);
      if (named && allowed) {
        await achievements.link({
          achievementId,
          contextId: course.id,
          resourceLinkId: str(resourceLink?.id),
          lineItemUrl: str(ags?.lineitem),
        });
        // A launch of the link proves the LMS saved the activity: a Deep Linking draft is kept.
        await achievements.confirm(achievementId);
      }
    }
    return createLtiLaunchRepository(tx).record({
      state,
      platformId: platform.id,
      deploymentId,
      contextId: course.id,
      userId: user.id,
      roles,
      locale,
      messageType,
      resourceLinkId: str(resourceLink?.id),
      deepLinking: (claims[CLAIM.deepLinkingSettings] as LtiLaunch['deepLinking']) ?? null,
      custom,
      expiresAt: new Date(Date.now() + SESSION_HOURS * 3600_000),
    });
  });
  return { launch, platform };
}

/** Where a launch lands: Deep Linking picker, instructor home or learner home. */
export function landingPath(launch: Pick<LtiLaunch, 'messageType' | 'roles'>): string {
  if (launch.messageType === 'LtiDeepLinkingRequest') return '/app/deep-link';
  return isInstructorRole(launch.roles) ? '/app/instructor' : '/app/learner';
}
