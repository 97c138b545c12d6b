/**
 * The two OIDC legs of an LTI 1.3 launch, in front of ltijs: the login initiation
 * (`/lti/login`) and the id_token post (`/lti/launch`). Sello checks what it can name
 * precisely before ltijs verifies (platform, audience, algorithm, key), records each login
 * for the cookie fallbacks, and replaces the state cookie a browser blocked with the
 * platform-storage proof (LTI Client Side postMessages) or a "new window" page.
 *
 * https://www.imsglobal.org/spec/security/v1p0#openid_connect_launch_flow
 * https://www.imsglobal.org/spec/lti-cs-pm/v0p1
 */
import crypto from 'node:crypto';
import type { AsyncLocalStorage } from 'node:async_hooks';
import type express from 'express';
import type { RequestHandler } from 'express';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { LtiLaunchRepository } from '../storage/lti-launch-repository.ts';
import type { PlatformRepository } from '../storage/platform-repository.ts';
import { LtiError, type PageRenderer } from './errors.ts';
import type { PlatformKeySets } from './platform-jwks.ts';
import { platformsOfRequest } from './platform-registry.ts';
import { toolEndpoints } from './tool-configuration.ts';
import { MAX_ID_TOKEN_LENGTH, validateIdTokenClaims } from './validate-id-token.ts';
import { findUnsafeInput } from '../untrusted-input.ts';

export interface OidcRouteDependencies {
  config: Readonly<Config>;
  pages: PageRenderer;
  log: Logger;
  platforms: PlatformRepository;
  launches: LtiLaunchRepository;
  platformKeys: PlatformKeySets;
  /** Holds the platform key checked for the launch being verified (read by the store ltijs sees). */
  launchKey: AsyncLocalStorage<{ jwk: Record<string, unknown> }>;
  ltijsApp: RequestHandler;
  /** ltijs's secret: its cookies are signed with it. */
  secret: string;
  fail(req: express.Request, res: express.Response, error: LtiError): void;
  localeOf(res: express.Response): 'en' | 'es';
}

/** ltijs's failure messages → Sello codes (ltijs 5.9 `Utils/Auth.js`, jsonwebtoken messages). */
export function launchErrorFor(message: string): LtiError {
  const m = message || '';
  if (/NONCE_ALREADY_RECEIVED|lti_store_nonce|duplicate key/i.test(m)) return new LtiError('lti_nonce_replayed', 'This launch was already used; open Sello again from the course');
  if (/jwt expired|TOKEN_TOO_OLD|jwt not active/i.test(m)) return new LtiError('lti_token_expired', 'The launch token has expired; open Sello again from the course');
  if (/ALG_NOT_RS256|invalid algorithm|signature is required/i.test(m)) return new LtiError('lti_alg_invalid', 'The launch token must be signed with RS256');
  if (/invalid signature|KEY_NOT_FOUND|KID_NOT_FOUND|KEYSET_NOT_FOUND|jwt malformed|INVALID_JWT/i.test(m)) {
    return new LtiError('lti_signature_invalid', 'The launch token signature does not match the LMS keys');
  }
  if (/AZP_DOES_NOT_MATCH|audience/i.test(m)) return new LtiError('lti_audience_invalid', 'The launch token is meant for another tool');
  if (/MISSING_VALIDATION_COOKIE/.test(m)) return new LtiError('lti_state_missing', 'The login state is missing; open Sello again from the course');
  if (/UNREGISTERED_PLATFORM/.test(m)) return new LtiError('lti_platform_unknown', 'This LMS is not registered in Sello');
  if (/PLATFORM_NOT_ACTIVATED/.test(m)) return new LtiError('lti_platform_inactive', 'This LMS registration waits for approval in Sello');
  if (/NO_.*_CLAIM|WRONG_LTI_VERSION/.test(m)) return new LtiError('lti_claims_invalid', 'The launch lacks required LTI claims', { reason: m });
  return new LtiError('lti_token_invalid', 'The launch could not be verified', { reason: m });
}

/** cookie-signature's format (`s:value.hmac`), as ltijs's cookie-parser expects it. */
function signCookie(value: string, secret: string): string {
  const mac = crypto.createHmac('sha256', secret).update(value).digest('base64').replace(/=+$/, '');
  return `s:${value}.${mac}`;
}

/**
 * A site as browsers compare them for SameSite cookies: scheme plus host, where a host
 * that is not an IP address or `localhost` counts by its last two labels (an
 * approximation of the registrable domain without the public suffix list).
 */
function siteOf(url: URL): string {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const isAddress = /^[\d.]+$/.test(host) || host.includes(':') || host === 'localhost';
  return `${url.protocol}//${isAddress ? host : host.split('.').slice(-2).join('.')}`;
}

/**
 * True when Sello is served over plain HTTP on another site than the LMS: browsers then
 * never send Sello's login-state cookie back on the LMS's cross-site form post (it can
 * only be `SameSite=Lax`, as `SameSite=None` needs `Secure`, which needs HTTPS), in an
 * iframe or a window alike. Both on localhost (ports apart) is one site and works.
 */
export function plainHttpCrossSite(publicUrl: string, lmsUrl: string): boolean {
  const sello = new URL(publicUrl);
  if (sello.protocol !== 'http:') return false;
  try {
    return siteOf(sello) !== siteOf(new URL(lmsUrl));
  } catch {
    return false;
  }
}

function hasCookie(header: string | undefined, name: string): boolean {
  return (header ?? '').split(';').some((part) => part.trim().startsWith(`${name}=`));
}

/**
 * OIDC login initiation (GET or POST). Refuses 400 `lti_login_invalid` (missing
 * parameters, target outside Sello), 400 `lti_platform_unknown`, 403 `lti_platform_inactive`.
 */
export function oidcLoginHandler(deps: OidcRouteDependencies): RequestHandler {
  const { config, pages, log, platforms, launches, ltijsApp, fail, localeOf } = deps;
  return async (req, res, next) => {
    try {
      const params = { ...(req.query as Record<string, unknown>), ...((req.body as Record<string, unknown>) ?? {}) };
      const str = (name: string) => (typeof params[name] === 'string' ? (params[name] as string) : undefined);
      const iss = str('iss');
      const targetLinkUri = str('target_link_uri');
      if (!iss || !str('login_hint') || !targetLinkUri) {
        throw new LtiError('lti_login_invalid', 'The login request lacks iss, login_hint or target_link_uri');
      }
      // OIDC login: the tool must only send people on to its own launch URLs.
      if (!targetLinkUri.startsWith(`${config.publicUrl}/`)) {
        throw new LtiError('lti_login_invalid', 'target_link_uri is not a Sello URL', { target_link_uri: targetLinkUri });
      }
      const clientId = str('client_id');
      const candidates = (await platformsOfRequest(res, platforms)).filter((p) => p.iss === iss && (!clientId || p.clientId === clientId));
      if (candidates.length === 0) throw new LtiError('lti_platform_unknown', 'This LMS is not registered in Sello', { iss, clientId });
      const platform = candidates[0]!;
      if (platform.status !== 'active') {
        throw new LtiError('lti_platform_inactive', `This LMS registration is ${platform.status} in Sello; an administrator must approve it`);
      }
      const keep: Record<string, string> = {};
      for (const name of ['iss', 'login_hint', 'target_link_uri', 'lti_message_hint', 'client_id', 'lti_deployment_id']) {
        const value = str(name);
        if (value) keep[name] = value;
      }
      const storageTarget = str('lti_storage_target') ?? null;
      // ltijs answers with a redirect to the platform; Sello records the login first (for
      // the cookie fallbacks) and, with platform storage, stores the state there too.
      res.redirect = ((location: string) => {
        const state = new URL(location, config.publicUrl).searchParams.get('state') ?? '';
        const storageSecret = crypto.randomBytes(24).toString('base64url');
        void launches
          .recordLogin({ state, iss, params: keep, storageTarget, storageSecret, expiresAt: new Date(Date.now() + 10 * 60_000) })
          .then(
            () => {
              if (!storageTarget) {
                res.status(302).setHeader('location', location);
                res.end();
                return;
              }
              res
                .status(200)
                .type('html')
                .send(
                  pages.render(
                    'lti-storage-put',
                    {
                      title: 'Sello',
                      location,
                      target: storageTarget,
                      origin: new URL(platform.authUrl ?? iss).origin,
                      key: `sello_state_${state}`,
                      value: storageSecret,
                    },
                    localeOf(res),
                  ),
                );
            },
            (error: unknown) => {
              log.error({ err: error }, 'recording an LTI login failed');
              res.status(500).type('text').send('Sello could not start the launch');
            },
          );
      }) as express.Response['redirect'];
      ltijsApp(req, res, next);
    } catch (error) {
      if (error instanceof LtiError) fail(req, res, error);
      else next(error);
    }
  };
}

/**
 * The id_token post. Refuses 401 `lti_token_invalid` / `lti_alg_invalid` /
 * `lti_signature_invalid` / `lti_audience_invalid` / `lti_state_missing`, 400
 * `lti_platform_unknown`; ltijs's own refusals are mapped by `launchErrorFor`.
 */
export function oidcLaunchHandler(deps: OidcRouteDependencies): RequestHandler {
  const { config, pages, platforms, launches, platformKeys, launchKey, ltijsApp, secret, fail, localeOf } = deps;
  const endpoints = toolEndpoints(config.publicUrl);
  return async (req, res, next) => {
    try {
      const body = (req.body ?? {}) as Record<string, string | undefined>;
      if (!body.id_token) {
        // Platforms answer authentication errors (e.g. login_required) as form posts too.
        throw new LtiError('lti_token_invalid', body.error_description || body.error || 'The launch has no id_token', {
          error: body.error,
        });
      }
      let header: { alg?: string };
      let claims: Record<string, unknown>;
      try {
        header = decodeProtectedHeader(body.id_token);
        claims = decodeJwt(body.id_token);
      } catch (cause) {
        throw new LtiError('lti_token_invalid', 'The id_token is not a JWT', undefined, { cause });
      }
      if (header.alg !== 'RS256') throw new LtiError('lti_alg_invalid', `The launch token must be signed with RS256, not ${header.alg}`);
      if (body.id_token.length > MAX_ID_TOKEN_LENGTH) {
        throw new LtiError('lti_claims_invalid', `The launch token is larger than ${MAX_ID_TOKEN_LENGTH / 1024} KB`);
      }
      const iss = String(claims.iss ?? '');
      const audiences = (Array.isArray(claims.aud) ? claims.aud : [claims.aud]).map(String);
      const ofIssuer = (await platformsOfRequest(res, platforms)).filter((p) => p.iss === iss);
      if (ofIssuer.length === 0) throw new LtiError('lti_platform_unknown', 'This LMS is not registered in Sello', { iss });
      if (!ofIssuer.some((p) => audiences.includes(p.clientId))) {
        throw new LtiError('lti_audience_invalid', 'The launch token is meant for another tool', { aud: claims.aud });
      }
      // What ltijs lets through (no exp, iat in the future, aud arrays without azp, roles
      // as a text, identifiers of any size) is refused before it verifies anything.
      validateIdTokenClaims({ claims, clientIds: ofIssuer.map((p) => p.clientId) });
      // Names, course titles and ids go to PostgreSQL, which refuses NUL; a lone surrogate
      // would be stored changed. Refused by name instead of failing in ltijs's storage.
      const unsafe = findUnsafeInput(claims);
      if (unsafe) throw new LtiError('lti_claims_invalid', `The launch token's ${unsafe.path || 'claims'} is not storable text (${unsafe.problem})`, { path: unsafe.path, problem: unsafe.problem });
      const state = body.state;
      if (!state) throw new LtiError('lti_state_missing', 'The launch has no state; open Sello again from the course');
      const addressed = ofIssuer.find((p) => audiences.includes(p.clientId))!;
      const jwk = addressed.jwksUrl ? await platformKeys.keyFor(addressed.jwksUrl, (header as { kid?: string }).kid) : null;
      if (addressed.jwksUrl && !jwk) throw new LtiError('lti_signature_invalid', 'The launch is signed with a key the LMS does not publish');
      const verify = () => (jwk ? launchKey.run({ jwk: jwk as Record<string, unknown> }, () => ltijsApp(req, res, next)) : ltijsApp(req, res, next));
      if (hasCookie(req.headers.cookie, `state${state}`)) {
        verify();
        return;
      }
      // No state cookie: the browser blocked it (third-party cookies in an iframe).
      const login = await launches.findLogin(state);
      if (!login || login.iss !== iss) {
        throw new LtiError('lti_state_missing', 'This launch did not start here or has expired; open Sello again from the course');
      }
      const proof = body.sello_storage_proof;
      if (proof) {
        const given = crypto.createHash('sha256').update(proof).digest();
        const expected = crypto.createHash('sha256').update(login.storageSecret).digest();
        if (!crypto.timingSafeEqual(given, expected)) throw new LtiError('lti_state_missing', 'The platform storage did not confirm this launch');
        // Platform storage vouched for the state: give ltijs the cookie it checks.
        const cookie = `state${state}=${encodeURIComponent(signCookie(iss, secret))}`;
        req.headers.cookie = req.headers.cookie ? `${req.headers.cookie}; ${cookie}` : cookie;
        verify();
        return;
      }
      const locale = localeOf(res);
      const platform = ofIssuer.find((p) => audiences.includes(p.clientId))!;
      const httpsNeeded = plainHttpCrossSite(config.publicUrl, platform.authUrl ?? iss);
      if (login.storageTarget) {
        res.type('html').send(
          pages.render(
            'lti-storage-get',
            {
              title: 'Sello',
              action: endpoints.launch,
              idToken: body.id_token,
              state,
              target: login.storageTarget,
              origin: new URL(platform.authUrl ?? iss).origin,
              key: `sello_state_${state}`,
              relaunchUrl: `${endpoints.login}?${new URLSearchParams(login.params).toString()}`,
              httpsNeeded,
              publicUrl: config.publicUrl,
              lmsOrigin: new URL(platform.authUrl ?? iss).origin,
            },
            locale,
          ),
        );
        return;
      }
      if (httpsNeeded) {
        // Not the browser's privacy settings, and a new window would fail the same way
        // (and loop): say what is wrong and how to fix it.
        deps.log.warn({ publicUrl: config.publicUrl, iss }, 'LTI launch lost its state cookie: PUBLIC_URL is plain http on another site than the LMS');
        res
          .status(401)
          .type('html')
          .send(
            pages.render(
              'lti-https-required',
              { title: 'Sello', code: 'lti_https_required', publicUrl: config.publicUrl, lmsOrigin: new URL(platform.authUrl ?? iss).origin },
              locale,
            ),
          );
        return;
      }
      res
        .status(401)
        .type('html')
        .send(
          pages.render(
            'lti-cookies-blocked',
            { title: 'Sello', code: 'lti_state_missing', relaunchUrl: `${endpoints.login}?${new URLSearchParams(login.params).toString()}` },
            locale,
          ),
        );
    } catch (error) {
      if (error instanceof LtiError) fail(req, res, error);
      else next(error);
    }
  };
}
