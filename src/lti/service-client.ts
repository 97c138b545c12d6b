/**
 * Authenticated calls to a platform's LTI Advantage services, outside any launch:
 * OAuth 2 client credentials with a signed JWT assertion (RFC 7523), tokens cached per
 * platform and scope until shortly before they expire, one refresh on 401, and retries
 * with backoff on 429/5xx honouring `Retry-After`.
 *
 * https://www.imsglobal.org/spec/security/v1p0#using-json-web-tokens-with-oauth-2-0-client-credentials-grant
 */
import crypto from 'node:crypto';
import { SignJWT } from 'jose';
import type { Platform } from '../storage/platform-repository.ts';
import { OutboundError } from '../outbound/outbound-error.ts';
import { assertOutboundFetch, type OutboundFetch } from '../outbound/outbound-fetch.ts';
import { LtiError } from './errors.ts';
import type { ToolKeys } from './tool-keys.ts';

export interface ServiceClientOptions {
  toolKeys: ToolKeys;
  /** Sello's outbound client (src/outbound). */
  fetch: OutboundFetch;
  /** Waits between retries; tests pass a recorder. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  maxRetries?: number;
}

export interface ServiceRequest {
  platform: Platform;
  scope: string;
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  accept?: string;
  contentType?: string;
  body?: unknown;
}

export interface ServiceClient {
  /** @throws LtiError `lti_service_unauthorized`, `lti_service_failed`, `lti_service_unavailable`. */
  request(req: ServiceRequest): Promise<Response>;
  /** How many tokens were fetched (for tests and figures). */
  readonly tokensFetched: number;
}

/** Seconds or HTTP-date → milliseconds; null when absent or unreadable. */
export function retryAfterMs(header: string | null, now: number): number | null {
  if (!header) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

export function createServiceClient({
  toolKeys,
  fetch: fetchImpl,
  sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  now = () => Date.now(),
  maxRetries = 3,
}: ServiceClientOptions): ServiceClient {
  assertOutboundFetch(fetchImpl, 'The LTI service client');
  const tokens = new Map<string, { token: string; expiresAt: number }>();
  // Requests that need a token at the same moment (a worker's parallel jobs, or several
  // 401s after the platform revoked one) share one token request.
  const requesting = new Map<string, Promise<string>>();
  let tokensFetched = 0;

  async function send(url: string, init: RequestInit): Promise<Response> {
    let attempt = 0;
    for (;;) {
      let response: Response | null = null;
      let failure: unknown = null;
      try {
        response = await fetchImpl(url, init);
      } catch (error) {
        // A refused address, a cross-origin redirect or an oversized answer is the same
        // on every attempt: only network failures and timeouts are worth retrying.
        if (error instanceof OutboundError && error.code !== 'outbound_unreachable' && error.code !== 'outbound_timeout') {
          throw new LtiError('lti_service_failed', `Sello does not call ${url}: ${error.message}`, { url, reason: error.code }, { cause: error });
        }
        failure = error;
      }
      const retryable = failure !== null || response!.status === 429 || response!.status >= 500;
      if (!retryable) return response!;
      if (attempt >= maxRetries) {
        if (response) return response;
        throw new LtiError('lti_service_unavailable', `The platform did not answer at ${url}`, { url }, { cause: failure });
      }
      const waited = retryAfterMs(response?.headers.get('retry-after') ?? null, now());
      // Cap at a minute: a scheduled sync will come back anyway.
      await sleep(Math.min(waited ?? 250 * 2 ** attempt, 60_000));
      await response?.body?.cancel().catch(() => {});
      attempt += 1;
    }
  }

  async function accessToken(platform: Platform, scope: string, fresh: boolean): Promise<string> {
    const key = `${platform.id} ${scope}`;
    const cached = tokens.get(key);
    if (!fresh && cached && cached.expiresAt > now()) return cached.token;
    // A token request already under way brings a newer token than the one a 401 refused,
    // so it serves a refresh too.
    let pending = requesting.get(key);
    if (!pending) {
      pending = requestToken(platform, scope, key).finally(() => requesting.delete(key));
      requesting.set(key, pending);
    }
    return pending;
  }

  /** The OAuth 2 client-credentials grant with a signed JWT assertion (LTI Security §4.1). */
  async function requestToken(platform: Platform, scope: string, key: string): Promise<string> {
    if (!platform.tokenUrl || !platform.ltiKid) {
      throw new LtiError('lti_service_unauthorized', 'The platform registration has no token endpoint or tool key', { platformId: platform.id });
    }
    const issuedAt = Math.floor(now() / 1000);
    const assertion = await new SignJWT({ jti: crypto.randomUUID() })
      .setProtectedHeader({ alg: 'RS256', kid: platform.ltiKid, typ: 'JWT' })
      .setIssuer(platform.clientId)
      .setSubject(platform.clientId)
      .setAudience(platform.tokenUrl)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + 300)
      .sign(await toolKeys.privateKey(platform.ltiKid));
    const response = await send(platform.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: assertion,
        scope,
      }),
    });
    const json = (await response.json().catch(() => null)) as { access_token?: string; expires_in?: number; error?: string } | null;
    if (!response.ok || !json?.access_token) {
      throw new LtiError('lti_service_unauthorized', `The platform refused an access token (HTTP ${response.status}${json?.error ? `, ${json.error}` : ''})`, {
        status: response.status,
        error: json?.error,
        scope,
      });
    }
    tokensFetched += 1;
    // Renew a little early so a token never expires between the check and its use.
    const lifetime = Math.max(0, (json.expires_in ?? 3600) - 30) * 1000;
    tokens.set(key, { token: json.access_token, expiresAt: now() + lifetime });
    return json.access_token;
  }

  return {
    get tokensFetched() {
      return tokensFetched;
    },
    async request({ platform, scope, method = 'GET', url, accept, contentType, body }) {
      for (let refreshed = false; ; refreshed = true) {
        const token = await accessToken(platform, scope, refreshed);
        const headers: Record<string, string> = { authorization: `Bearer ${token}` };
        if (accept) headers.accept = accept;
        if (contentType) headers['content-type'] = contentType;
        const response = await send(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
        if (response.status === 401 && !refreshed) {
          await response.body?.cancel().catch(() => {});
          continue;
        }
        if (!response.ok) {
          const text = (await response.text().catch(() => '')).slice(0, 500);
          throw new LtiError(
            response.status === 401 || response.status === 403 ? 'lti_service_unauthorized' : response.status >= 500 || response.status === 429 ? 'lti_service_unavailable' : 'lti_service_failed',
            `The platform answered HTTP ${response.status} to ${method} ${url}`,
            { status: response.status, body: text, url },
          );
        }
        return response;
      }
    },
  };
}

/** The `rel` links of a `Link` header: `<url>; rel="next"` → `{ next: url }`. */
export function parseLinkHeader(header: string | null): Record<string, string> {
  const links: Record<string, string> = {};
  if (!header) return links;
  for (const part of header.split(/,(?=\s*<)/)) {
    const match = /<([^>]+)>\s*;(.*)$/.exec(part.trim());
    if (!match) continue;
    const rel = /rel\s*=\s*"?([^";]+)"?/i.exec(match[2]!)?.[1];
    if (rel) for (const name of rel.trim().split(/\s+/)) links[name] = match[1]!;
  }
  return links;
}
