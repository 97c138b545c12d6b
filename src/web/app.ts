/**
 * `buildApp(deps)`: the express application, built from real dependencies and never
 * listening (`src/server.ts` does that). Tests call it directly on test data.
 *
 * Order matters: ltijs is mounted before any body parser or cookie parser, because it
 * parses the id_token POST and signs its own cookies (express 5's body parser no longer
 * marks a parsed body, so a second parse fails).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Express, type RequestHandler } from 'express';
import cookieParser from 'cookie-parser';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { Database } from '../storage/database.ts';
import type { Secrets } from '../storage/secrets.ts';
import { errorHandler, notFoundHandler } from './errors.ts';
import { refuseMalformedUrl, refuseUnsafeBody } from '../untrusted-input.ts';
import { securityHeaders } from './security-headers.ts';
import { requireFormToken } from './form-protection.ts';
import { negotiateLocale } from './i18n.ts';
import { createPageRenderer, type PageRenderer } from './views.ts';
import { healthRouter, type ChainHealth } from './public/health.ts';
import { homeRouter } from './public/home.ts';
import { classifyAddress } from '../outbound/address-policy.ts';

const publicDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'public');

export interface AppDependencies {
  config: Readonly<Config>;
  db: Database;
  log: Logger;
  secrets: Secrets;
  version: string;
  /** Reports the chain's state for /health; absent until a chain is wired in. */
  chainHealth?: () => Promise<ChainHealth>;
  /** Mounted first, before body parsers (ltijs). */
  earlyMounts?: Array<{ path: string; handler: RequestHandler | express.Router }>;
  /** Capability routers, mounted after the parsers in the order given. */
  routers?: Array<express.Router | ((context: AppContext) => express.Router)>;
}

/** What routers receive besides their own dependencies. */
export interface AppContext {
  pages: PageRenderer;
  config: Readonly<Config>;
  log: Logger;
}

export function buildApp(deps: AppDependencies): Express {
  const app = express();
  const pages = createPageRenderer();
  app.disable('x-powered-by');
  // Never `true`: X-Forwarded-For is believed only from the proxies TRUST_PROXY names, or
  // any client could pick its own rate-limit bucket and logged address.
  app.set('trust proxy', deps.config.trustProxy);
  app.locals.pages = pages;
  if (deps.config.trustProxy === false) app.use(warnOfUntrustedProxy(deps.log));

  // First of all, so that every answer has them, ltijs's and the URL guard's included.
  app.use(securityHeaders({ db: deps.db, log: deps.log, extraFrameAncestors: deps.config.lti.frameAncestors }));
  // Before ltijs too: no route, theirs included, sees an undecodable URL or a NUL in it.
  app.use(refuseMalformedUrl());
  for (const mount of deps.earlyMounts ?? []) app.use(mount.path, mount.handler);

  app.use(
    express.json({
      limit: deps.config.bodyLimit,
      type: ['application/json', 'application/*+json'],
      // The bytes of a UTF-8 body are kept beside the parsed one (a reference, no copy), in
      // `res.locals.jsonBodyBytes`: the verifiers hand those to a worker, which parses them
      // into the same value, instead of cloning the parsed object across threads.
      verify: (_req, res, bytes, encoding) => {
        if (/^utf-?8$/i.test(encoding)) (res as express.Response).locals.jsonBodyBytes = bytes;
      },
    }),
  );
  app.use(express.urlencoded({ extended: false, limit: deps.config.bodyLimit }));
  app.use(refuseUnsafeBody());
  app.use(cookieParser());
  app.use(requireFormToken({ secret: deps.secrets.keyEncryptionKey, publicUrl: deps.config.publicUrl }));
  app.use((req, res, next) => {
    res.locals.locale = negotiateLocale(req, deps.config.defaultLocale);
    // Inside the LMS (an ltik in the URL) the choice belongs to the LTI session, not to a
    // cookie that would outlive it and override the LMS's language at the next launch.
    if (typeof req.query.lang === 'string' && res.locals.locale === req.query.lang && typeof req.query.ltik !== 'string') {
      res.cookie('sello_lang', res.locals.locale, { sameSite: 'lax', maxAge: 365 * 24 * 3600 * 1000 });
    }
    next();
  });
  app.use('/static', express.static(publicDir, { maxAge: '1h' }));
  // Browsers and feed readers ask for /favicon.ico by themselves: the same self-hosted icon.
  app.get('/favicon.ico', (_req, res) => res.redirect(301, '/static/favicon.svg'));

  app.use(
    healthRouter({
      db: deps.db,
      version: deps.version,
      chainHealth: deps.chainHealth,
      chainKind: deps.config.chain.kind,
    }),
  );
  app.use(homeRouter({ pages, publicUrl: deps.config.publicUrl, demo: deps.config.demo }));
  const context: AppContext = { pages, config: deps.config, log: deps.log };
  for (const router of deps.routers ?? []) app.use(typeof router === 'function' && !('stack' in router) ? router(context) : router);

  app.use(notFoundHandler());
  app.use(errorHandler({ log: deps.log, pages, defaultLocale: deps.config.defaultLocale }));
  return app;
}

/**
 * Says once that requests arrive through a proxy on this machine or network while
 * TRUST_PROXY is unset: every client then shares the proxy's address, and so its
 * rate-limit bucket. A direct client sending the header from a public address is not a proxy.
 */
function warnOfUntrustedProxy(log: Logger): RequestHandler {
  let warned = false;
  return (req, _res, next) => {
    if (!warned && req.headers['x-forwarded-for'] !== undefined) {
      const peer = req.socket.remoteAddress ?? '';
      const kind = classifyAddress(peer);
      if (kind === 'loopback' || kind === 'private') {
        warned = true;
        log.warn({ peer }, 'Requests carry X-Forwarded-For from a local proxy but TRUST_PROXY is unset: all its clients share one address and one rate limit (set TRUST_PROXY, e.g. loopback)');
      }
    }
    next();
  };
}
