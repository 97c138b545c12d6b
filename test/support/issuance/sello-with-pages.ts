/**
 * A real Sello with the LTI capability and the issuance pages (instructor editor,
 * learner progress), listening on an ephemeral port for the sandbox LMS.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildApp, type AppContext } from '../../../src/web/app.ts';
import { createLogger } from '../../../src/logger.ts';
import { VERSION } from '../../../src/version.ts';
import { createPageRenderer } from '../../../src/web/views.ts';
import { createIssuerRepository, DEFAULT_ISSUER_SLUG } from '../../../src/storage/issuer-repository.ts';
import { createLti, type Lti } from '../../../src/lti/provider.ts';
import { instructorRouter } from '../../../src/web/instructor/instructor.ts';
import { learnerRouter } from '../../../src/web/learner/learner.ts';
import { achievementPagesRouter } from '../../../src/web/instructor/achievements.ts';
import { createLearnerProgress } from '../../../src/web/learner/learner-progress.ts';
import { openid4vciRouter } from '../../../src/web/wallet/openid4vci/routes.ts';
import { vcapiExchangeRouter } from '../../../src/web/wallet/vcapi-exchanges/routes.ts';
import { createIssuerKeyProvider } from '../../../src/issuance/issuer-keys.ts';
import { credentialsRouter } from '../../../src/web/credentials.ts';
import { didRouter } from '../../../src/web/public/did.ts';
import { statusRouter } from '../../../src/web/public/status.ts';
import { createRecipientOfRequest } from '../../../src/web/learner/recipient-session.ts';
import { openTestDatabase, type TestDatabase } from '../database.ts';
import { testConfig, testSecrets } from '../config.ts';

export interface SelloWithPages {
  url: string;
  db: TestDatabase;
  lti: Lti;
  /** The admin bearer token (`POST /credentials/issue`). */
  adminToken: string;
  /** The deployment's default issuer (it has a signing key). */
  issuerId: string;
  close(): Promise<void>;
}

export async function startSelloWithPages(): Promise<SelloWithPages> {
  let handler: http.RequestListener = (_req, res) => {
    res.statusCode = 503;
    res.end();
  };
  const server = http.createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const config = testConfig({ PUBLIC_URL: url, LTI_DYNREG_AUTO_APPROVE: 'true' });
  const secrets = testSecrets(config);
  const db = await openTestDatabase();
  const issuer = await createIssuerRepository(db).upsert({ slug: DEFAULT_ISSUER_SLUG, name: 'Sello', url, email: null, imageUrl: null, description: null, didMethod: 'web' });
  const log = createLogger({ level: 'silent' });
  const pages = createPageRenderer();
  const lti = await createLti({ db, config, keyEncryptionKey: secrets.keyEncryptionKey, log, pages, purgeIntervalMs: 0 });
  const keys = createIssuerKeyProvider({ db, kek: secrets.keyEncryptionKey, publicUrl: url });
  await keys.ensureKey(issuer.id);
  handler = buildApp({
    config,
    db,
    log,
    secrets,
    version: VERSION,
    earlyMounts: [{ path: '/lti', handler: lti.router }],
    routers: [
      (ctx: AppContext) => instructorRouter({ db, lti, pages: ctx.pages }),
      (ctx: AppContext) => learnerRouter({ db, lti, pages: ctx.pages, publicUrl: ctx.config.publicUrl, learnerProgress: createLearnerProgress({ db }) }),
      (ctx: AppContext) => achievementPagesRouter({ db, requireLaunch: lti.requireLaunch, deepLinkingResponse: (parameters) => lti.deepLinkingResponse(parameters), pages: ctx.pages }),
      openid4vciRouter({ db, keys, publicUrl: url, chainReference: () => null, requireLaunch: lti.requireLaunch }),
      vcapiExchangeRouter({ db, keys, publicUrl: url, chainReference: () => null, requireLaunch: lti.requireLaunch }),
      didRouter({ db, keys, adminToken: secrets.adminToken }),
      statusRouter({ db, keys, publicUrl: url }),
      // The public credential pages, recognizing the recipient's browser as server.ts wires them.
      credentialsRouter({
        db,
        keys,
        publicUrl: url,
        adminToken: secrets.adminToken,
        defaultIssuerId: issuer.id,
        chainReference: () => null,
        recipientOf: createRecipientOfRequest({ launchOf: lti.launchOf }),
      }),
    ],
  });
  return {
    url,
    db,
    lti,
    adminToken: secrets.adminToken,
    issuerId: issuer.id,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await lti.close();
      await db.close();
    },
  };
}
