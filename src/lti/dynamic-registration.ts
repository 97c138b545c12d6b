/**
 * LTI Dynamic Registration, tool side: the LMS opens `/lti/register?openid_configuration=…
 * &registration_token=…`; Sello reads the platform's configuration, posts its own tool
 * configuration to the platform's registration endpoint, and records the platform
 * (pending until an admin approves it, unless auto-approval is on).
 *
 * Nothing is recorded unless every step succeeded, so a malformed or unreachable
 * configuration leaves no half-registered platform behind.
 *
 * https://www.imsglobal.org/spec/lti-dr/v1p0#openid-configuration
 * https://www.imsglobal.org/spec/lti-dr/v1p0#tool-registration-request
 */
import { z } from 'zod';
import type { Platform } from '../storage/platform-repository.ts';
import type { OutboundFetch } from '../outbound/outbound-fetch.ts';
import { LtiError } from './errors.ts';
import { guessProduct, type PlatformRegistry } from './platform-registry.ts';
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
}

export interface DynamicRegistrationResult {
  platform: Platform;
  /** True when the platform may launch now; false when an admin must approve it first. */
  active: boolean;
}

export interface DynamicRegistrar {
  /**
   * Runs one registration.
   * @throws LtiError `invalid_openid_configuration` (bad URL, not JSON, missing or
   *   inconsistent fields), `lti_registration_unreachable` (the platform did not answer),
   *   `lti_registration_rejected` (the platform refused the tool's configuration).
   */
  register(parameters: DynamicRegistrationParameters): Promise<DynamicRegistrationResult>;
}

/** The registrable part of a host (`school.instructure.com` → `instructure.com`). */
function siteOf(host: string): string {
  return host.split('.').slice(-2).join('.');
}

export function createDynamicRegistrar({
  registry,
  publicUrl,
  toolName,
  toolDescription,
  autoApprove,
  fetch: fetchImpl = fetch,
  timeoutMs = 10_000,
}: {
  registry: PlatformRegistry;
  publicUrl: string;
  toolName: string;
  toolDescription: string;
  autoApprove: boolean;
  /** Sello's outbound client (src/outbound): address policy, timeouts, size limit. */
  fetch?: OutboundFetch;
  timeoutMs?: number;
}): DynamicRegistrar {
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
    async register({ openidConfigurationUrl, registrationToken }) {
      let configUrl: URL;
      try {
        configUrl = new URL(openidConfigurationUrl);
        if (!/^https?:$/.test(configUrl.protocol)) throw new Error('not http(s)');
      } catch (cause) {
        throw new LtiError('invalid_openid_configuration', 'openid_configuration must be an http(s) URL', { openid_configuration: openidConfigurationUrl }, { cause });
      }
      const headers: Record<string, string> = { accept: 'application/json' };
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
      // The configuration must come from the platform it describes; Canvas serves it from the
      // school's host while its issuer is canvas.instructure.com, hence the site comparison.
      if (siteOf(new URL(platformConfig.issuer).hostname) !== siteOf(configUrl.hostname)) {
        throw new LtiError('invalid_openid_configuration', 'The issuer does not belong to the site that served the configuration', {
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
      const platform = await registry.register({
        iss: platformConfig.issuer,
        clientId: response.data.client_id,
        authUrl: platformConfig.authorization_endpoint,
        tokenUrl: platformConfig.token_endpoint,
        jwksUrl: platformConfig.jwks_uri,
        deploymentIds: deploymentId ? [deploymentId] : [],
        name: `${platformConfig[PLATFORM_CONFIGURATION].product_family_code} ${new URL(platformConfig.issuer).host}`,
        product: guessProduct(platformConfig.issuer, platformConfig[PLATFORM_CONFIGURATION].product_family_code),
        status: autoApprove ? 'active' : 'pending',
        registeredVia: 'dynamic',
      });
      return { platform, active: platform.status === 'active' };
    },
  };
}
