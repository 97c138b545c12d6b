/**
 * The LTI capability assembled: ltijs (the only import of it in Sello) on Sello's
 * database, wrapped in an express router mounted at `/lti` before the app's body and
 * cookie parsers, plus everything the rest of Sello uses: `requireLaunch`, the platform
 * registry, Dynamic Registration, Deep Linking responses and the AGS/NRPS services.
 *
 * ltijs is a module-level singleton; Sello builds a fresh instance from its class so that
 * several Sellos (tests) can live in one process, and never calls `deploy()`, which
 * installs a SIGINT handler that exits the process and exits on database errors.
 *
 * https://www.imsglobal.org/spec/security/v1p0#openid_connect_launch_flow
 */
import crypto from 'node:crypto';
import { AsyncLocalStorage } from 'node:async_hooks';
import express, { type RequestHandler, type Router } from 'express';
import ltijs from 'ltijs';
import { decodeJwt } from 'jose';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { Database } from '../storage/database.ts';
import { createLtiStore, type LtiStore } from '../storage/lti-store.ts';
import { createLtiLaunchRepository } from '../storage/lti-launch-repository.ts';
import { createPlatformRepository } from '../storage/platform-repository.ts';
import type { Achievement } from '../storage/achievement-repository.ts';
import { LtiError, sendLtiError, type PageRenderer } from './errors.ts';
import { isInstructorRole } from './claims.ts';
import { createPlatformRegistry, type LtijsPlatforms, type PlatformRegistry } from './platform-registry.ts';
import { createDynamicRegistrar, type DynamicRegistrar } from './dynamic-registration.ts';
import { createRegistrationInvites, type RegistrationInvites } from './registration-invites.ts';
import { buildCanvasConfiguration, toolEndpoints } from './tool-configuration.ts';
import { createLaunchOfLtik, createRequireLaunch, type Launch, type LaunchOfLtik, type RequireLaunch } from './require-launch.ts';
import { landingPath, recordLaunch, type IdTokenClaims } from './record-launch.ts';
import { badgeResourceLink, buildDeepLinkingResponse, type DeepLinkingResponse } from './deep-linking.ts';
import { createToolKeys, type ToolKeys } from './tool-keys.ts';
import { createLtiServices, type LtiServices } from './services.ts';
import { createPlatformKeySets, type PlatformKeySets } from './platform-jwks.ts';
import { launchErrorFor, oidcLaunchHandler, oidcLoginHandler, type OidcRouteDependencies } from './oidc-routes.ts';
import type { ServiceClientOptions } from './service-client.ts';
import { createRegistrationFailureLog, type RegistrationFailure, type RegistrationFailureLog } from './registration-failures.ts';
import { createOutboundFetch, type OutboundFetch, type OutboundPolicy } from '../outbound/outbound-fetch.ts';
import { refuseUnsafeBody } from '../untrusted-input.ts';

/** What a launch tells other capabilities (issuance syncs outcomes at each launch). */
export interface LaunchEvent extends Omit<Launch, 'ltik'> {
  messageType: 'LtiResourceLinkRequest' | 'LtiDeepLinkingRequest';
  resourceLinkId: string | null;
  custom: Record<string, unknown>;
}

export interface LtiHooks {
  /** Runs after each recorded launch; a failure is logged and does not stop the launch. */
  onLaunch?(launch: LaunchEvent): Promise<void>;
}

export interface CreateLtiParameters {
  db: Database;
  config: Readonly<Config>;
  /** The key-encryption key: ltijs's secret (cookies, ltik, encrypted keys) is derived from it. */
  keyEncryptionKey: Buffer;
  log: Logger;
  pages: PageRenderer;
  hooks?: LtiHooks;
  /**
   * Outgoing HTTP of Dynamic Registration, platform key sets and the services: Sello's
   * outbound client under `config.outbound` unless given (the composition root passes the
   * one it shares with the connectors).
   */
  fetch?: OutboundFetch;
  /** Overrides of the outbound client's limits when `fetch` is not given (tests shorten them). */
  outbound?: Omit<OutboundPolicy, 'allowPrivate'>;
  /**
   * Dynamic Registration: the timeout of each request to the platform, and how long after
   * the request arrived a failed registration is answered (every failure at the same
   * moment, so that the answer's timing does not tell a closed port from a slow service).
   */
  registration?: { timeoutMs?: number; failureAnswerMs?: number };
  services?: Omit<ServiceClientOptions, 'toolKeys' | 'fetch'>;
  /** Platform JWKS cache: lifetime and minimum time between refetches for an unknown kid. */
  jwks?: { ttlMs?: number; cooldownMs?: number };
  purgeIntervalMs?: number;
}

export interface Lti {
  /** Mount at `/lti` through `deps.earlyMounts` (before body and cookie parsers). */
  router: Router;
  requireLaunch: RequireLaunch;
  /** The launch an ltik stands for, or null: for pages outside the LMS that recognize a learner (see `require-launch.ts`). */
  launchOf: LaunchOfLtik;
  registry: PlatformRegistry;
  registrar: DynamicRegistrar;
  /** One-time registration links (approved at once when used). */
  invites: RegistrationInvites;
  services: LtiServices;
  toolKeys: ToolKeys;
  store: LtiStore;
  platformKeys: PlatformKeySets;
  /** The last failed Dynamic Registrations with their reasons (admin only). */
  registrationFailures: Pick<RegistrationFailureLog, 'list'>;
  /**
   * The signed Deep Linking response attaching `achievements` for the launch behind `ltik`.
   * @throws LtiError `lti_session_required`, `lti_deep_linking_invalid`.
   */
  deepLinkingResponse(parameters: { ltik: string; achievements: Achievement[]; message?: string }): Promise<DeepLinkingResponse>;
  close(): Promise<void>;
}

/** The part of ltijs's Provider Sello drives. */
interface LtijsProvider {
  app: RequestHandler;
  setup(key: string, database: { plugin: LtiStore }, options: Record<string, unknown>): LtijsProvider;
  onConnect(callback: (token: LtijsToken, req: express.Request, res: express.Response, next: express.NextFunction) => unknown): void;
  onDeepLinking(callback: (token: LtijsToken, req: express.Request, res: express.Response, next: express.NextFunction) => unknown): void;
  onInvalidToken(callback: (req: express.Request, res: express.Response) => unknown): void;
  onSessionTimeout(callback: (req: express.Request, res: express.Response) => unknown): void;
  onUnregisteredPlatform(callback: (req: express.Request, res: express.Response) => unknown): void;
  onInactivePlatform(callback: (req: express.Request, res: express.Response) => unknown): void;
  registerPlatform(platform: Record<string, unknown>): Promise<{ platformKid(): Promise<string>; platformActive(active?: boolean): Promise<boolean> }>;
  getPlatformById(kid: string): Promise<false | { platformActive(active?: boolean): Promise<boolean> }>;
  deletePlatform(url: string, clientId: string): Promise<true>;
}

interface LtijsToken {
  iss: string;
  user: string;
  clientId: string;
  platformId: string;
  deploymentId: string;
}


/** Registrar failures that depend on the target URL: answered all alike (`registrationFailed`). */
const TARGET_FAILURES: ReadonlySet<string> = new Set(['invalid_openid_configuration', 'lti_registration_unreachable', 'lti_registration_rejected']);

/** The one answer an anonymous caller gets for a registration that failed on its target. */
function registrationFailed(): LtiError {
  return new LtiError(
    'lti_registration_failed',
    "Sello could not register with this platform. Check the registration URL in the LMS and try again; Sello's administrator can see the reason on the platforms page.",
  );
}

/** The detailed reason of a failed registration, for the log and the admin page. */
function describeRegistrationFailure(error: unknown, openid: string): RegistrationFailure {
  const reasons: string[] = [];
  for (let current: unknown = error; current instanceof Error && reasons.length < 4; current = current.cause) reasons.push(current.message);
  let origin = '(not a URL)';
  try {
    origin = new URL(openid).origin;
  } catch {
    // kept as is
  }
  return {
    at: new Date().toISOString(),
    openidConfiguration: openid.slice(0, 300),
    origin,
    code: error instanceof LtiError ? error.code : 'internal_error',
    reason: reasons.join(': ').slice(0, 500),
    details: error instanceof LtiError ? error.details : undefined,
  };
}

/**
 * Builds the LTI capability. Never listens and never exits the process.
 */
export async function createLti({
  db,
  config,
  keyEncryptionKey,
  log,
  pages,
  hooks = {},
  fetch: givenFetch,
  outbound = {},
  registration = {},
  services: serviceOptions = {},
  jwks = {},
  purgeIntervalMs,
}: CreateLtiParameters): Promise<Lti> {
  const fetchImpl = givenFetch ?? createOutboundFetch({ ...outbound, allowPrivate: config.outbound.allowPrivate });
  const registrationTimeoutMs = registration.timeoutMs ?? 10_000;
  const registrationFailures = createRegistrationFailureLog();
  const failureAnswerMs = registration.failureAnswerMs ?? registrationTimeoutMs;
  const secret = Buffer.from(crypto.hkdfSync('sha256', keyEncryptionKey, Buffer.alloc(0), 'sello ltijs', 32)).toString('hex');
  const store = createLtiStore({ db, purgeIntervalMs });
  await store.setup();
  const endpoints = toolEndpoints(config.publicUrl);
  const secure = config.publicUrl.startsWith('https://');
  // ltijs fetches a platform's JWKS at every launch. Sello checks the key against its own
  // cache first and, for the duration of that launch, shows ltijs the platform record with
  // that one key (JWK_KEY) instead of the key set URL.
  const platformKeys = createPlatformKeySets({ fetch: fetchImpl, ...jwks });
  const launchKey = new AsyncLocalStorage<{ jwk: Record<string, unknown> }>();
  const ltijsStore: LtiStore = {
    ...store,
    async Get(key, collection, query) {
      const docs = await store.Get(key, collection, query);
      const current = launchKey.getStore();
      if (!docs || collection !== 'platform' || !current) return docs;
      return docs.map((doc) => {
        const auth = doc.authConfig as { method?: string } | undefined;
        return auth?.method === 'JWK_SET' ? { ...doc, authConfig: { method: 'JWK_KEY', key: current.jwk } } : doc;
      });
    },
  };
  const ProviderClass = (ltijs.Provider as { constructor: new () => LtijsProvider }).constructor;
  const provider = new ProviderClass().setup(secret, { plugin: ltijsStore }, {
    appRoute: '/launch',
    loginRoute: '/login',
    keysetRoute: '/keys',
    // Sello answers /lti/register itself (see below); ltijs's own route is parked.
    dynRegRoute: '/ltijs-register',
    // No ltijs session cookie: the ltik alone carries the session, so iframes without
    // third-party cookies keep working (requireLaunch checks it against lti_launches).
    ltiaas: true,
    tokenMaxAge: 60,
    cors: false,
    cookies: { secure, sameSite: secure ? 'None' : 'Lax' },
  });

  const platforms = createPlatformRepository(db);
  const launches = createLtiLaunchRepository(db);
  const toolKeys = createToolKeys({ store, encryptionKey: secret });
  const ltijsPlatforms: LtijsPlatforms = {
    async upsert(p) {
      const platform = await provider.registerPlatform({
        url: p.iss,
        clientId: p.clientId,
        name: p.name,
        authenticationEndpoint: p.authUrl,
        accesstokenEndpoint: p.tokenUrl,
        authConfig: { method: 'JWK_SET', key: p.jwksUrl },
      });
      return platform.platformKid();
    },
    async setActive(kid, active) {
      const platform = await provider.getPlatformById(kid);
      if (platform) await platform.platformActive(active);
    },
    async remove(iss, clientId) {
      await provider.deletePlatform(iss, clientId);
    },
  };
  const registry = createPlatformRegistry({ db, ltijs: ltijsPlatforms, config });
  const invites = createRegistrationInvites({ db, publicUrl: config.publicUrl });
  const registrar = createDynamicRegistrar({
    invites,
    registry,
    publicUrl: config.publicUrl,
    toolName: config.issuer.name === 'Sello' ? 'Sello' : `Sello (${config.issuer.name})`,
    toolDescription: 'Open Badges 3.0 microcredentials from course results',
    autoApprove: config.lti.dynamicRegistrationAutoApprove,
    fetch: fetchImpl,
    timeoutMs: registrationTimeoutMs,
  });
  const services = createLtiServices({ db, toolKeys, fetch: fetchImpl, log, ...serviceOptions });
  const requireLaunch = createRequireLaunch({ db, ltikSecret: secret });
  const launchOf = createLaunchOfLtik({ db, ltikSecret: secret });

  const fail = (req: express.Request, res: express.Response, error: LtiError) => {
    res.locals.locale ??= localeOf(res);
    sendLtiError(req, res, error, pages);
  };
  // /lti is mounted before the app's locale middleware: fall back to Accept-Language.
  const localeOf = (res: express.Response): 'en' | 'es' =>
    (res.locals.locale as 'en' | 'es' | undefined) ?? ((res.req.acceptsLanguages('en', 'es') || config.defaultLocale) as 'en' | 'es');

  provider.onInvalidToken((req, res) => {
    const err = res.locals.err as { details?: { message?: string } } | undefined;
    log.debug({ reason: err?.details?.message }, 'LTI launch refused');
    fail(req, res, launchErrorFor(err?.details?.message ?? ''));
  });
  provider.onSessionTimeout((req, res) => fail(req, res, new LtiError('lti_session_required', 'Open Sello again from your course')));
  provider.onUnregisteredPlatform((req, res) => fail(req, res, new LtiError('lti_platform_unknown', 'This LMS is not registered in Sello')));
  provider.onInactivePlatform((req, res) =>
    fail(req, res, new LtiError('lti_platform_inactive', 'This LMS registration waits for approval by a Sello administrator')),
  );
  const onLaunch = async (token: LtijsToken, req: express.Request, res: express.Response) => {
    try {
      const claims = decodeJwt(String((req.body as Record<string, unknown>).id_token)) as IdTokenClaims;
      const ltik = String(res.locals.ltik);
      const state = String(decodeJwt(ltik).s);
      const { launch } = await recordLaunch({ db, claims, clientId: token.clientId, state, defaultLocale: config.defaultLocale });
      if (hooks.onLaunch) {
        await hooks
          .onLaunch({
            platformId: launch.platformId,
            contextId: launch.contextId!,
            userId: launch.userId,
            deploymentId: launch.deploymentId,
            roles: launch.roles,
            isInstructor: isInstructorRole(launch.roles),
            locale: launch.locale,
            messageType: launch.messageType,
            resourceLinkId: launch.resourceLinkId,
            custom: launch.custom,
          })
          .catch((error: unknown) => log.error({ err: error }, 'onLaunch hook failed'));
      }
      res.redirect(303, `${landingPath(launch)}?ltik=${encodeURIComponent(ltik)}`);
    } catch (error) {
      if (error instanceof LtiError) fail(req, res, error);
      else {
        log.error({ err: error }, 'recording an LTI launch failed');
        res.status(500).type('text').send('Sello could not record the launch');
      }
    }
  };
  provider.onConnect(onLaunch);
  provider.onDeepLinking(onLaunch);

  const ltijsApp = provider.app;
  // This router parses its own forms (it is mounted before the app's parsers): the same
  // refusal of NUL and lone surrogates as every other body, before ltijs stores any of it.
  const form = [express.urlencoded({ extended: false, limit: '256kb' }), refuseUnsafeBody()];
  // ltijs parses bodies again with body-parser 1, which skips a request marked parsed.
  // Express 5's `req.query` is a prototype getter that vanishes when ltijs's express 4
  // swaps the prototype, so it is pinned as an own property first.
  const markParsed: RequestHandler = (req, _res, next) => {
    (req as express.Request & { _body?: boolean })._body = true;
    Object.defineProperty(req, 'query', { value: { ...req.query }, writable: true, configurable: true, enumerable: true });
    next();
  };
  const router = express.Router();
  const oidc: OidcRouteDependencies = { config, pages, log, platforms, launches, platformKeys, launchKey, ltijsApp, secret, fail, localeOf };

  router.get('/canvas.json', (_req, res) => {
    res.json(buildCanvasConfiguration({ publicUrl: config.publicUrl, name: 'Sello', description: 'Open Badges 3.0 microcredentials from course results' }));
  });

  router.get('/register', async (req, res) => {
    const started = Date.now();
    const openid = typeof req.query.openid_configuration === 'string' ? req.query.openid_configuration : '';
    const token = typeof req.query.registration_token === 'string' ? req.query.registration_token : undefined;
    const invite = typeof req.query.invite === 'string' ? req.query.invite : undefined;
    if (!openid) {
      fail(req, res, new LtiError('invalid_openid_configuration', 'Start the registration from your LMS: the openid_configuration parameter is missing'));
      return;
    }
    try {
      const result = await registrar.register({ openidConfigurationUrl: openid, registrationToken: token, invite });
      log.info(
        { platformId: result.platform.id, iss: result.platform.iss, active: result.active, request: result.request?.id, invite: invite !== undefined },
        result.request ? 'dynamic registration for a known issuer filed for approval' : 'platform registered dynamically',
      );
      res.type('html').send(
        pages.render(
          'lti-registered',
          { title: 'Sello', platform: result.request ?? result.platform, active: result.active, known: result.request !== null },
          localeOf(res),
        ),
      );
    } catch (error) {
      const failure = describeRegistrationFailure(error, openid);
      log.warn(failure, 'dynamic registration failed');
      registrationFailures.record(failure);
      if (error instanceof LtiError && !TARGET_FAILURES.has(error.code)) {
        fail(req, res, error);
        return;
      }
      // Anyone may call this endpoint with any URL: whatever went wrong with the target,
      // the answer and its timing are the same, so it cannot serve to map ports and
      // services Sello can reach. The reason is in the log and on the admin page.
      const wait = failureAnswerMs - (Date.now() - started);
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      fail(req, res, registrationFailed());
    }
  });

  router.all('/login', form, markParsed, oidcLoginHandler(oidc));
  router.post('/launch', form, markParsed, oidcLaunchHandler(oidc));

  router.get('/keys', markParsed, (req, res, next) => ltijsApp(req, res, next));

  return {
    router,
    requireLaunch,
    launchOf,
    registry,
    registrar,
    invites,
    services,
    toolKeys,
    store,
    platformKeys,
    registrationFailures,
    async deepLinkingResponse({ ltik, achievements, message }) {
      const state = (() => {
        try {
          return String(decodeJwt(ltik).s ?? '');
        } catch {
          return '';
        }
      })();
      const launch = state ? await launches.findByState(state) : null;
      if (!launch) throw new LtiError('lti_session_required', 'This session has expired; open Sello again from your course');
      const platform = await platforms.findById(launch.platformId);
      if (!platform) throw new LtiError('platform_not_found', 'The platform of this launch is gone');
      return buildDeepLinkingResponse({
        launch,
        platform,
        toolKeys,
        message,
        contentItems: achievements.map((achievement) => badgeResourceLink({ achievement, launchUrl: endpoints.launch })),
      });
    },
    async close() {
      await store.Close();
    },
  };
}
