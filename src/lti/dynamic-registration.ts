/**
 * LTI Dynamic Registration, tool side: the LMS opens `/lti/register?openid_configuration=…
 * &registration_token=…`; Sello reads the platform's configuration, posts its own tool
 * configuration to the platform's registration endpoint, and records the platform.
 *
 * Nobody has to log in to open `/lti/register`, so what it records gives no power by
 * itself: a new platform is pending until an administrator approves it (or the
 * registration came through a one-time invite link, or the operator opted into
 * `LTI_DYNREG_AUTO_APPROVE`), and a registration naming an issuer Sello already knows
 * never changes that platform: it becomes a request an administrator decides on. The
 * configuration must come from the issuer's own origin.
 *
 * Nothing is recorded unless every step succeeded, so a malformed or unreachable
 * configuration leaves no half-registered platform behind.
 *
 * https://www.imsglobal.org/spec/lti-dr/v1p0#openid-configuration
 * https://www.imsglobal.org/spec/lti-dr/v1p0#tool-registration-request
 */
import { z } from 'zod';
import type { Platform } from '../storage/platform-repository.ts';
import type { RegistrationRequest } from '../storage/registration-request-repository.ts';
import { assertOutboundFetch, type OutboundFetch } from '../outbound/outbound-fetch.ts';
import { LtiError } from './errors.ts';
import { guessProduct, type PlatformRegistry } from './platform-registry.ts';
import { hashInviteToken, type RegistrationInvites } from './registration-invites.ts';
import { buildRegistrationRequest } from './tool-configuration.ts';

const PLATFORM_CONFIGURATION = 'https://purl.imsglobal.org/spec/lti-platform-configuration';
const TOOL_CONFIGURATION = 'https://purl.imsglobal.org/spec/lti-tool-configuration';

const url = z.string().url().refine((value) => /^https?:\/\//.test(value), 'must be an http(s) URL');

const openIdConfigurationSchema = z.object({
  issuer: url,
  authorization_endpoint: url,
  token_endpoint: url,
  jwks_uri: url,
  registration_endpoint: url,
  scopes_supported: z.array(z.string()).optional(),
  id_token_signing_alg_values_supported: z.array(z.string()).optional(),
  [PLATFORM_CONFIGURATION]: z.object({ product_family_code: z.string().min(1), version: z.string().optional() }).passthrough(),
});
export type PlatformOpenIdConfiguration = z.infer<typeof openIdConfigurationSchema>;

const registrationResponseSchema = z
  .object({
    client_id: z.string().min(1),
    [TOOL_CONFIGURATION]: z.object({ deployment_id: z.string().min(1).optional() }).passthrough().optional(),
  })
  .passthrough();

export interface DynamicRegistrationParameters {
  openidConfigurationUrl: string;
  registrationToken?: string;
  /** The token of a one-time registration link (`/lti/register?invite=…`). */
  invite?: string;
}

export interface DynamicRegistrationResult {
  /** The new platform, or (for a request) the known platform it would replace. */
  platform: Platform;
  /** Set when the issuer was known: the registration waits as this request. */
  request: RegistrationRequest | null;
  /** True when the registration may launch now; false when an admin must approve it first. */
  active: boolean;
}

export interface DynamicRegistrar {
  /**
   * Runs one registration.
   * @throws LtiError `lti_invite_invalid` (the invite is unknown, used or expired),
   *   `invalid_openid_configuration` (bad URL, not JSON, missing or inconsistent fields,
   *   served from another origin than its issuer's), `lti_registration_unreachable` (the platform did not answer),
   *   `lti_registration_rejected` (the platform refused the tool's configuration).
   */
  register(parameters: DynamicRegistrationParameters): Promise<DynamicRegistrationResult>;
}

export function createDynamicRegistrar({
  registry,
  publicUrl,
  toolName,
  toolDescription,
  autoApprove,
  invites,
  fetch: fetchImpl,
  timeoutMs = 10_000,
}: {
  registry: PlatformRegistry;
  publicUrl: string;
  toolName: string;
  toolDescription: string;
  /** Opt-in (`LTI_DYNREG_AUTO_APPROVE`): new issuers are active at once. Never applies to known issuers. */
  autoApprove: boolean;
  invites: RegistrationInvites;
  /** Sello's outbound client (src/outbound): address policy, timeouts, size limit. */
  fetch: OutboundFetch;
  timeoutMs?: number;
}): DynamicRegistrar {
  assertOutboundFetch(fetchImpl, 'Dynamic Registration');
  async function call(target: string, init: RequestInit, what: string): Promise<Response> {
    try {
      // An OpenID configuration and a registration answer are a few kilobytes.
      return await fetchImpl(target, { ...init, redirect: 'error', signal: AbortSignal.timeout(timeoutMs), maxResponseBytes: 256 * 1024 });
    } catch (cause) {
      const reason = (cause as { code?: unknown }).code ?? (cause as Error).name;
      throw new LtiError('lti_registration_unreachable', `Could not reach the platform's ${what} at ${target}`, { url: target, reason }, { cause });
    }
  }

  return {
    async register({ openidConfigurationUrl, registrationToken, invite }) {
      // Checked before anything is asked of the platform, so a stale link is said so plainly.
      if (invite !== undefined && !(await invites.isUsable(invite))) {
        throw new LtiError('lti_invite_invalid', 'This registration link is unknown, used already or expired; ask the Sello administrator for a new one');
      }
      let configUrl: URL;
      try {
        configUrl = new URL(openidConfigurationUrl);
        if (!/^https?:$/.test(configUrl.protocol)) throw new Error('not http(s)');
      } catch (cause) {
        throw new LtiError('invalid_openid_configuration', 'openid_configuration must be an http(s) URL', { openid_configuration: openidConfigurationUrl }, { cause });
      }
      const headers: Record<string, string> = { accept: 'application/json' };
      // The registration token is the platform's bearer credential for this registration,
      // sent only when the platform gave one. Moodle and Canvas also ask for it on the
      // configuration itself, which is on the issuer's origin (checked below).
      // https://www.imsglobal.org/spec/lti-dr/v1p0#step-1-registration-initiation-request
      if (registrationToken) headers.authorization = `Bearer ${registrationToken}`;
      const answer = await call(configUrl.href, { headers }, 'openid-configuration');
      if (!answer.ok) {
        throw new LtiError('lti_registration_unreachable', `The platform answered ${answer.status} for its openid-configuration`, {
          url: configUrl.href,
          status: answer.status,
        });
      }
      let json: unknown;
      try {
        json = await answer.json();
      } catch (cause) {
        throw new LtiError('invalid_openid_configuration', 'The openid-configuration is not JSON', { url: configUrl.href }, { cause });
      }
      const parsed = openIdConfigurationSchema.safeParse(json);
      if (!parsed.success) {
        throw new LtiError('invalid_openid_configuration', 'The openid-configuration lacks required LTI fields', {
          problems: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`),
        });
      }
      const platformConfig = parsed.data;
      // The configuration must come from the platform it describes: same scheme, host and
      // port as its issuer. Anything looser (a shared parent domain, a sibling host) lets
      // whoever controls some page there speak for the issuer.
      // https://www.imsglobal.org/spec/lti-dr/v1p0#issuer-and-openid-configuration-url-match
      if (new URL(platformConfig.issuer).origin !== configUrl.origin) {
        throw new LtiError('invalid_openid_configuration', 'The openid-configuration is not served from its issuer\'s origin', {
          issuer: platformConfig.issuer,
          url: configUrl.href,
        });
      }
      if (new URL(platformConfig.registration_endpoint).origin !== configUrl.origin) {
        throw new LtiError('invalid_openid_configuration', 'The registration endpoint is on another origin than the configuration', {
          registration_endpoint: platformConfig.registration_endpoint,
        });
      }
      const algs = platformConfig.id_token_signing_alg_values_supported;
      if (algs && !algs.includes('RS256')) {
        throw new LtiError('invalid_openid_configuration', 'The platform does not sign id_tokens with RS256', { algs });
      }

      const body = buildRegistrationRequest({
        publicUrl,
        name: toolName,
        description: toolDescription,
        scopesSupported: platformConfig.scopes_supported,
      });
      const registered = await call(
        platformConfig.registration_endpoint,
        { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) },
        'registration endpoint',
      );
      if (!registered.ok) {
        const text = (await registered.text().catch(() => '')).slice(0, 500);
        throw new LtiError('lti_registration_rejected', `The platform refused the registration (HTTP ${registered.status})`, {
          status: registered.status,
          body: text,
        });
      }
      const response = registrationResponseSchema.safeParse(await registered.json().catch(() => null));
      if (!response.success) {
        throw new LtiError('lti_registration_rejected', 'The platform answered the registration without a client_id');
      }
      const deploymentId = response.data[TOOL_CONFIGURATION]?.deployment_id;
      const outcome = await registry.registerDynamic({
        iss: platformConfig.issuer,
        clientId: response.data.client_id,
        authUrl: platformConfig.authorization_endpoint,
        tokenUrl: platformConfig.token_endpoint,
        jwksUrl: platformConfig.jwks_uri,
        deploymentIds: deploymentId ? [deploymentId] : [],
        name: `${platformConfig[PLATFORM_CONFIGURATION].product_family_code} ${new URL(platformConfig.issuer).host}`,
        product: guessProduct(platformConfig.issuer, platformConfig[PLATFORM_CONFIGURATION].product_family_code),
        openidConfigurationUrl: configUrl.href,
        approval: { inviteTokenHash: invite === undefined ? undefined : hashInviteToken(invite), autoApprove },
      });
      return { platform: outcome.platform, request: outcome.kind === 'request' ? outcome.request : null, active: outcome.active };
    },
  };
}
