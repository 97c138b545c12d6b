/**
 * Deep Linking response: the signed `LtiDeepLinkingResponse` that attaches an
 * achievement to a course as an `ltiResourceLink` with a gradebook line item.
 *
 * Sello signs it itself (with the platform's tool key) rather than through ltijs, whose
 * error-message claim name carries a trailing space, so platforms never see it.
 *
 * https://www.imsglobal.org/spec/lti-dl/v2p0#deep-linking-response-message
 * https://www.imsglobal.org/spec/lti-dl/v2p0#lti-resource-link
 */
import crypto from 'node:crypto';
import { SignJWT } from 'jose';
import type { Achievement } from '../storage/achievement-repository.ts';
import type { LtiLaunch } from '../storage/lti-launch-repository.ts';
import type { Platform } from '../storage/platform-repository.ts';
import { CLAIM } from './claims.ts';
import { LtiError } from './errors.ts';
import type { ToolKeys } from './tool-keys.ts';
import { badgeColumnLabel } from './badge-line-item.ts';

/** The line item every badge link asks for: pass/fail as 0 or 100. */
export const BADGE_SCORE_MAXIMUM = 100;
export const BADGE_LINE_ITEM_TAG = 'sello-badge';

export interface DeepLinkingResponse {
  /** Where the auto-submitting form posts the `JWT` field. */
  returnUrl: string;
  jwt: string;
}

/** The content item for one achievement. */
export function badgeResourceLink({ achievement, launchUrl }: { achievement: Achievement; launchUrl: string }): Record<string, unknown> {
  return {
    type: 'ltiResourceLink',
    title: achievement.name,
    text: achievement.description || undefined,
    url: launchUrl,
    ...(achievement.imageUrl ? { icon: { url: achievement.imageUrl } } : {}),
    lineItem: {
      label: badgeColumnLabel(achievement),
      scoreMaximum: BADGE_SCORE_MAXIMUM,
      resourceId: achievement.id,
      tag: BADGE_LINE_ITEM_TAG,
    },
    custom: { achievement_id: achievement.id },
  };
}

/**
 * Builds and signs the response for a Deep Linking launch.
 *
 * @throws LtiError `lti_deep_linking_invalid` when the launch is not a Deep Linking
 *   request or the platform does not accept resource links.
 */
export async function buildDeepLinkingResponse({
  launch,
  platform,
  contentItems,
  toolKeys,
  message,
  now = () => new Date(),
}: {
  launch: LtiLaunch;
  platform: Platform;
  contentItems: Array<Record<string, unknown>>;
  toolKeys: ToolKeys;
  message?: string;
  now?: () => Date;
}): Promise<DeepLinkingResponse> {
  const settings = launch.deepLinking;
  if (launch.messageType !== 'LtiDeepLinkingRequest' || !settings?.deep_link_return_url) {
    throw new LtiError('lti_deep_linking_invalid', 'Open this page from the LMS "add activity" (Deep Linking) flow');
  }
  if (Array.isArray(settings.accept_types) && !settings.accept_types.includes('ltiResourceLink')) {
    throw new LtiError('lti_deep_linking_invalid', 'The LMS does not accept LTI resource links here', { accept_types: settings.accept_types });
  }
  if (!platform.ltiKid) throw new LtiError('platform_not_found', 'The platform registration has no tool key');
  const multiple = !(settings.accept_multiple === false || settings.accept_multiple === 'false');
  const items = multiple ? contentItems : contentItems.slice(0, 1);
  const issuedAt = Math.floor(now().getTime() / 1000);
  const payload: Record<string, unknown> = {
    nonce: crypto.randomBytes(16).toString('hex'),
    [CLAIM.deploymentId]: launch.deploymentId,
    [CLAIM.messageType]: 'LtiDeepLinkingResponse',
    [CLAIM.version]: '1.3.0',
    [CLAIM.dlContentItems]: items,
  };
  if (settings.data !== undefined) payload[CLAIM.dlData] = settings.data;
  if (message) payload[CLAIM.dlMsg] = message;
  const jwt = await new SignJWT(payload)
    .setProtectedHeader({ alg: 'RS256', kid: platform.ltiKid, typ: 'JWT' })
    .setIssuer(platform.clientId)
    .setAudience(platform.iss)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + 300)
    .sign(await toolKeys.privateKey(platform.ltiKid));
  return { returnUrl: settings.deep_link_return_url, jwt };
}
