/**
 * A real Sello (app + LTI capability + test database) listening on an ephemeral port, so
 * the sandbox LMS can fetch its JWKS and post back to it, as an LMS would.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RequestListener } from 'node:http';
import { buildApp, type AppContext } from '../../../src/web/app.ts';
import { createLogger } from '../../../src/logger.ts';
import { VERSION } from '../../../src/version.ts';
import { createPageRenderer } from '../../../src/web/views.ts';
import { createIssuerRepository, DEFAULT_ISSUER_SLUG } from '../../../src/storage/issuer-repository.ts';
import { createLti, type Lti, type LtiHooks } from '../../../src/lti/provider.ts';
import { adminPlatformsRouter } from '../../../src/web/admin/platforms.ts';
import { adminPagesRouter, createAdminPageContext } from '../../../src/web/admin/admin-pages.ts';
import { adminTrustListsRouter } from '../../../src/web/admin/trust-lists.ts';
import { lmsAdminRouter } from '../../../src/web/admin/lms-admin.ts';
import { issuerLogoRouter } from '../../../src/web/public/issuer-logo.ts';
import { createIssuerKeyProvider } from '../../../src/issuance/issuer-keys.ts';
import { instructorRouter } from '../../../src/web/instructor/instructor.ts';
import { learnerRouter } from '../../../src/web/learner/learner.ts';
import { adminContextsRouter } from '../../../src/web/admin/contexts.ts';
import { achievementPagesRouter } from '../../../src/web/instructor/achievements.ts';
import { adminOutcomeSourcesRouter } from '../../../src/web/admin/outcome-sources.ts';
import type { SyncContextReport } from '../../../src/outcomes/sync-context.ts';
import { openTestDatabase, type TestDatabase } from '../database.ts';
import { testConfig, testSecrets } from '../config.ts';
import type { Config } from '../../../src/config.ts';

export interface RunningTestSello {
  url: string;
  db: TestDatabase;
  lti: Lti;
  config: Readonly<Config>;
  adminToken: string;
  launches: Array<Parameters<NonNullable<LtiHooks['onLaunch']>>[0]>;
  close(): Promise<void>;
}

export async function startTestSello({
  env = {},
  sleep,
  syncNow,
  onLaunch,
  registration = { failureAnswerMs: 0 },
  outbound,
  trustLists,
  embeddedDataDir,
  port = 0,
}: {
  env?: Record<string, string>;
  sleep?: (ms: number) => Promise<void>;
  /** Gives the instructor's "Sync now" and `POST /admin/api/contexts/:id/sync` a course sync. */
  syncNow?: (deps: { db: TestDatabase; lti: Lti }) => (contextId: string) => Promise<SyncContextReport>;
  /** Runs at each launch after it is recorded (what the issuance capability does in production). */
  onLaunch?: (deps: { db: TestDatabase; lti: Lti }) => NonNullable<LtiHooks['onLaunch']>;
  /** Dynamic Registration timing; tests answer failures at once unless they measure it. */
  registration?: { timeoutMs?: number; failureAnswerMs?: number };
  /** Outbound client limits (timeouts, size). */
  outbound?: Parameters<typeof createLti>[0]['outbound'];
  /** Mounts the trust-lists admin page with these lists (CAIP-10), read with no chain: each answers an error entry. */
  trustLists?: string[];
  /** Without DATABASE_URL: the embedded database in this folder instead of in memory. */
  embeddedDataDir?: string;
  /** The port to listen on (127.0.0.1); an ephemeral one by default. A second Sello on the same port and data gets the same URL, registration and keys. */
  port?: number;
} = {}): Promise<RunningTestSello> {
  let handler: RequestListener = (_req, res) => {
    res.statusCode = 503;
    res.end();
  };
  const server = http.createServer((req, res) => handler(req, res));
  // Longer than any pause between a test's requests on this loaded machine (a platform's
  // key pair takes seconds): with Node's 5 s default the server closes an idle socket just
  // as fetch reuses it, and the request fails with ECONNRESET.
  server.keepAliveTimeout = 120_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const config = testConfig({ PUBLIC_URL: url, ...env });
  const secrets = testSecrets(config);
  const db = await openTestDatabase({ embeddedDataDir });
  await createIssuerRepository(db).upsert({
    slug: DEFAULT_ISSUER_SLUG,
    name: config.issuer.name,
    url: config.issuer.url,
    email: null,
    imageUrl: null,
    description: null,
    didMethod: 'web',
  });
  const log = createLogger({ level: 'silent' });
  const pages = createPageRenderer();
  const launches: RunningTestSello['launches'] = [];
  let launchHook: NonNullable<LtiHooks['onLaunch']> | undefined;
  const lti = await createLti({
    db,
    config,
    keyEncryptionKey: secrets.keyEncryptionKey,
    log,
    pages,
    hooks: {
      onLaunch: async (launch) => {
        launches.push(launch);
        await launchHook?.(launch);
      },
    },
    services: sleep ? { sleep } : {},
    // Tests rotate keys within milliseconds; production waits 30 s between refetches.
    jwks: { cooldownMs: 0 },
    purgeIntervalMs: 0,
    registration,
    outbound,
  });
  const sync = syncNow?.({ db, lti });
  launchHook = onLaunch?.({ db, lti });
  const keys = createIssuerKeyProvider({ db, kek: secrets.keyEncryptionKey, publicUrl: config.publicUrl });
  const adminPages = createAdminPageContext({ adminToken: secrets.adminToken, publicUrl: config.publicUrl, pages });
  const app = buildApp({
    config,
    db,
    log,
    secrets,
    version: VERSION,
    earlyMounts: [{ path: '/lti', handler: lti.router }],
    routers: [
      adminPlatformsRouter({ lti, adminToken: secrets.adminToken, publicUrl: config.publicUrl }),
      adminPagesRouter(
        { db, kek: secrets.keyEncryptionKey, adminToken: secrets.adminToken, publicUrl: config.publicUrl, pages, lti, keys, chain: () => null, chainKind: config.chain.kind },
        adminPages,
      ),
      ...(trustLists ? [adminTrustListsRouter({ db, keys, adminToken: secrets.adminToken, trustLists, provider: () => null, context: adminPages })] : []),
      issuerLogoRouter({ db }),
      (ctx: AppContext) => lmsAdminRouter({ db, kek: secrets.keyEncryptionKey, requireLaunch: lti.requireLaunch, pages: ctx.pages }),
      (ctx: AppContext) => instructorRouter({ db, lti, pages: ctx.pages, syncNow: sync }),
      (ctx: AppContext) => achievementPagesRouter({ db, requireLaunch: lti.requireLaunch, deepLinkingResponse: (parameters) => lti.deepLinkingResponse(parameters), pages: ctx.pages }),
      adminOutcomeSourcesRouter({ db, kek: secrets.keyEncryptionKey, adminToken: secrets.adminToken }),
      ...(sync ? [adminContextsRouter({ db, adminToken: secrets.adminToken, syncNow: sync })] : []),
      (ctx: AppContext) => learnerRouter({ db, lti, pages: ctx.pages, publicUrl: ctx.config.publicUrl }),
    ],
  });
  handler = app;
  return {
    url,
    db,
    lti,
    config,
    adminToken: secrets.adminToken,
    launches,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await lti.close();
      await db.close();
    },
  };
}
