/**
 * The composition root: the only place that reads config, opens the database and the
 * chain, builds the app and calls `listen`. Everything else receives what it needs.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Config } from './config.ts';
import { createLogger, type Logger } from './logger.ts';
import { openDatabase, type Database } from './storage/database.ts';
import { favourMemoryOverSpeed } from './storage/embedded-heap.ts';
import { migrate } from './storage/migrate.ts';
import { resolveSecrets } from './storage/secrets.ts';
import { sealLegacyOutcomeSecrets } from './storage/outcome-secret-repository.ts';
import { createIssuerRepository, defaultIssuerProfile } from './storage/issuer-repository.ts';
import { buildApp } from './web/app.ts';
import type { ChainService } from './chain/open-chain.ts';
import { connectChain } from './chain/chain-connection.ts';
import { ChainError } from './chain/chain-error.ts';
import { createAnchorBatcher, type AnchorBatcher } from './chain/anchor-batcher.ts';
import { registerIssuerKeys } from './chain/register-issuer-keys.ts';
import { claimIssuerDids } from './chain/issuer-directory.ts';
import { createChainReader } from './chain/chain-reader.ts';
import { readChainVersion } from './chain/chain-version.ts';
import type { ChainReader } from './credentials/chain-reader.ts';
import { didWebFromUrl } from './credentials/did.ts';
import { createIssuerKeyProvider, listAllIssuerKeys } from './issuance/issuer-keys.ts';
import { createAnchorChecker, type AnchorChecker } from './chain/anchor-checker.ts';
import { credentialsRouters } from './web/credentials.ts';
import { createConfiguredVerificationPool } from './credentials/verification-pool.ts';
import { didRouter } from './web/public/did.ts';
import { statusRouter } from './web/public/status.ts';
import { chainRpcRouter } from './web/public/chain-rpc.ts';
import { verifierRouter } from './web/public/verifier.ts';
import { chainWalletRouter } from './web/learner/chain-wallet.ts';
import { createLti } from './lti/provider.ts';
import { createPageRenderer } from './web/views.ts';
import { adminPlatformsRouter } from './web/admin/platforms.ts';
import { adminTrustListsRouter } from './web/admin/trust-lists.ts';
import { adminPagesRouter, createAdminPageContext } from './web/admin/admin-pages.ts';
import { lmsAdminRouter } from './web/admin/lms-admin.ts';
import { issuerLogoRouter } from './web/public/issuer-logo.ts';
import { instructorRouter } from './web/instructor/instructor.ts';
import { learnerRouter } from './web/learner/learner.ts';
import { createRecipientOfRequest } from './web/learner/recipient-session.ts';
import { openid4vciRouter } from './web/wallet/openid4vci/routes.ts';
import { vcapiExchangeRouter } from './web/wallet/vcapi-exchanges/routes.ts';
import { startIssuance, type RunningIssuance } from './issuance/start-issuance.ts';
import { achievementPagesRouter, issuanceAdminRouter } from './web/instructor/achievements.ts';
import { createLearnerProgress } from './web/learner/learner-progress.ts';
import { outcomesWebhookRouter } from './web/lms/outcomes-webhook.ts';
import { adminOutcomeSourcesRouter } from './web/admin/outcome-sources.ts';
import { achievementPublicRouter } from './web/public/achievement-public.ts';
import { adminContextsRouter } from './web/admin/contexts.ts';
import { VERSION } from './version.ts';
import { createOutboundFetch } from './outbound/outbound-fetch.ts';
import { startDemo, DEMO_LMS_PATH, type Demo } from './web/demo/demo.ts';

export interface RunningSello {
  url: string;
  port: number;
  db: Database;
  log: Logger;
  /**
   * The chain Sello anchors on (its `chainReference` goes into every credential).
   * @throws ChainError `chain_unreachable` while an RPC that was down at start has not answered (see `chainReady`).
   */
  readonly chain: ChainService;
  /** Resolves once the chain is open (at once unless its RPC was down at start). */
  chainReady: Promise<ChainService>;
  /** Stops taking requests, lets in-flight ones finish, stops workers, closes the database. */
  close(): Promise<void>;
}

export interface StartParameters {
  config: Readonly<Config>;
  /** Where start-up messages for a person go (the URL, generated secrets). */
  announce?: (line: string) => void;
  /** Waits between attempts to reach a chain RPC that was down at start (tests shorten them). */
  chainRetry?: { firstMs?: number; maxMs?: number };
}

/**
 * Starts Sello: secrets, database (migrated), chain, app, HTTP listener.
 *
 * @throws StorageError `database_unreachable` / `database_locked`, ConfigError.
 */
export async function startSello({ config, announce = (line) => console.log(line), chainRetry = {} }: StartParameters): Promise<RunningSello> {
  const log = createLogger({ level: config.logLevel });
  const secrets = resolveSecrets(config);
  if (secrets.generated.length > 0) {
    announce(`Generated ${secrets.generated.join(' and ')} (kept in ${secrets.file}, mode 0600)`);
    // Only a token Sello made up is shown: one the operator gave is theirs and stays out of
    // logs. The key-encryption key is never printed; it stays in the file.
    if (secrets.generated.includes('ADMIN_TOKEN')) announce(`  ADMIN_TOKEN=${secrets.adminToken}`);
  }
  // One process holds the embedded database and everything else: it favours memory.
  if (config.database.kind === 'embedded') favourMemoryOverSpeed();
  const db = await openDatabase(config.database);
  const stops: Array<() => Promise<void>> = [];
  try {
    const report = await migrate(db);
    if (report.applied.length > 0) log.info({ applied: report.applied }, 'database migrated');
    // Migration 0402 cannot encrypt in SQL: secrets stored in plaintext before it are encrypted here.
    const sealed = await sealLegacyOutcomeSecrets({ db, kek: secrets.keyEncryptionKey });
    if (sealed.connectorTokens + sealed.webhookSecrets > 0) log.info(sealed, 'encrypted outcome source secrets stored in plaintext');
    // The deployment's own issuer profile follows the ISSUER_* settings at every start.
    const defaultIssuer = await createIssuerRepository(db).upsert(defaultIssuerProfile(config.issuer));

    // Issuer keys: the default issuer always has a current signing key (and so a DID
    // document) before anything is issued or registered on-chain.
    // The DID document names the registry (CAIP-10) once the chain is open.
    // The registry the DID document names: the chain's, once known (see connectChain).
    let registryReference: () => string | null = () => null;
    const issuerKeys = createIssuerKeyProvider({
      db,
      kek: secrets.keyEncryptionKey,
      publicUrl: config.publicUrl,
      registries: () => {
        const reference = registryReference();
        return reference ? [reference] : [];
      },
    });
    await issuerKeys.ensureKey(defaultIssuer.id);

    // Chain: replays the embedded journal (or checks the RPC endpoint), deploys the
    // registry at first start, then anchors every credential in the background. An RPC
    // endpoint that is down does not hold start-up: anchoring begins when it answers.
    const chainConnection = await connectChain({ config, db, log, firstRetryMs: chainRetry.firstMs, maxRetryMs: chainRetry.maxMs });
    stops.push(() => chainConnection.close());
    registryReference = () => {
      const reference = chainConnection.reference();
      return reference ? `eip155:${reference.chainId}:${reference.contract}` : null;
    };
    // One pass at a time: the anchoring loop and key changes both ask for one, and two
    // passes reading the same chain state would send the same revocation twice.
    let keySync: Promise<void> = Promise.resolve();
    const syncIssuerKeys = () =>
      (keySync = keySync
        .catch(() => {})
        .then(async () => {
          const chain = chainConnection.current();
          if (!chain) return;
          const keys = await listAllIssuerKeys({ db, publicUrl: config.publicUrl });
          await registerIssuerKeys({ chain, keys, log });
          // The issuer directory binds each DID to this registry; failing to claim never holds anchoring up.
          await claimIssuerDids({ chain, dids: keys.map((key) => key.issuerDid), tokenIssuer: didWebFromUrl(config.publicUrl), log }).catch(
            (error: unknown) => log.warn({ err: error }, 'issuer DIDs not yet bound in the issuer directory; retried before each anchor'),
          );
        }));
    stops.push(() => keySync.catch(() => {}));
    let anchorBatcher: AnchorBatcher | null = null;
    let stopping = false;
    stops.push(async () => {
      stopping = true;
      await anchorBatcher?.stop();
    });
    const chainAtWork = chainConnection.ready.then(async (chain) => {
      if (stopping) return;
      await syncIssuerKeys().catch((error: unknown) => log.warn({ err: error }, 'issuer keys not yet registered on chain; retried before each anchor'));
      if (stopping) return;
      anchorBatcher = createAnchorBatcher({
        db,
        chain,
        batchSize: config.chain.anchorBatchSize,
        maxWaitS: config.chain.anchorBatchMaxWaitS,
        log,
        syncIssuerKeys,
      });
      anchorBatcher.start();
    });
    // Connected now: keys registered and the batcher running before the first request.
    if (chainConnection.current()) await chainAtWork;
    let anchorChecker: AnchorChecker | null = null;
    const checkAnchor: AnchorChecker = async (query) => {
      const chain = chainConnection.current();
      if (!chain) return { valid: false, error: 'chain_unreachable', details: { message: 'The chain RPC has not answered since Sello started' } };
      anchorChecker ??= createAnchorChecker({ provider: chain.provider });
      return anchorChecker(query);
    };
    // The chain for the other checks (issuer_registered, keys and status from the chain),
    // over whichever connection is current.
    let chainReaderOver: { provider: unknown; reader: ChainReader } | null = null;
    const currentChainReader = (): ChainReader => {
      const chain = chainConnection.current();
      if (!chain) throw new ChainError('chain_unreachable', 'The chain RPC has not answered since Sello started');
      if (chainReaderOver?.provider !== chain.provider) chainReaderOver = { provider: chain.provider, reader: createChainReader({ provider: chain.provider }) };
      return chainReaderOver.reader;
    };
    const chainReader: ChainReader = {
      chainId: () => currentChainReader().chainId(),
      issuerKey: (query) => currentChainReader().issuerKey(query),
      credentialStatus: (query) => currentChainReader().credentialStatus(query),
      issuerBinding: (query) => currentChainReader().issuerBinding(query),
      trustListEntry: (query) => currentChainReader().trustListEntry(query),
    };
    const chainReference = () => {
      const reference = chainConnection.reference();
      if (!reference) throw new ChainError('chain_unavailable', 'Sello has not reached its chain yet; credentials are issued once it answers');
      return reference;
    };

    // LTI: ltijs on Sello's database, mounted before the body parsers. `hooks.onLaunch`
    // is where the issuance capability syncs a course's outcomes at each launch.
    const pages = createPageRenderer();
    // Every request to an LMS (registration, key sets, tokens, AGS, NRPS, connectors) goes
    // through this one client: address policy, timeouts, size limit, same-origin redirects.
    const outboundFetch = createOutboundFetch({ allowPrivate: config.outbound.allowPrivate });
    let issuance: RunningIssuance | null = null;
    const lti = await createLti({
      db,
      config,
      keyEncryptionKey: secrets.keyEncryptionKey,
      log,
      pages,
      hooks: { onLaunch: async (launch) => issuance?.onLaunch(launch) },
      fetch: outboundFetch,
    });
    stops.push(() => lti.close());

    // Issuance: the job worker (claims shared through the database, so any number of
    // processes), the scheduled sync of active courses and the outcomes webhook.
    issuance = startIssuance({
      db,
      log,
      keys: issuerKeys,
      kek: secrets.keyEncryptionKey,
      publicUrl: config.publicUrl,
      defaultLocale: config.defaultLocale,
      chainReference: () => chainConnection.reference(),
      chainReady: chainConnection.reference() ? undefined : chainConnection.ready,
      ltiServices: lti.services,
      workers: config.issuance.workers,
      maxAttempts: config.issuance.maxAttempts,
      leaseS: config.issuance.leaseS,
      syncIntervalS: config.outcomes.syncIntervalS,
      crashAt: config.issuance.testCrashAt,
      fetch: outboundFetch,
    });
    const runningIssuance = issuance;
    stops.push(() => runningIssuance.stop());

    // Submitted credentials and presentations are verified in worker threads (see
    // createConfiguredVerificationPool for when they start and stop).
    const verificationPool = createConfiguredVerificationPool(config.verification, {
      onThreadPriority: (outcome) => log.debug({ outcome }, 'verification worker priority'),
    });
    stops.push(() => verificationPool.close());

    // The demo: a sandbox LMS in this Sello, registered as an active platform (DEMO).
    const demo: Demo | null = config.demo
      ? await startDemo({ db, lti, pages, publicUrl: config.publicUrl, syncNow: (contextId) => runningIssuance.syncNow(contextId) })
      : null;

    const onKeysChanged = () =>
      void syncIssuerKeys().catch((error: unknown) => log.warn({ err: error }, 'issuer key change not yet on chain; retried before each anchor'));
    const credentials = credentialsRouters({
      db,
      keys: issuerKeys,
      publicUrl: config.publicUrl,
      adminToken: secrets.adminToken,
      defaultIssuerId: defaultIssuer.id,
      chainReference,
      anchorChecker: checkAnchor,
      chainReader,
      chainVersion: async () => {
        const chain = chainConnection.current();
        return chain ? readChainVersion(chain.provider) : null;
      },
      verificationPool,
      // The recipient's own browser gets "Add to wallet" on the public page too.
      recipientOf: createRecipientOfRequest({ launchOf: lti.launchOf }),
    });
    const adminPages = createAdminPageContext({ adminToken: secrets.adminToken, publicUrl: config.publicUrl, pages });
    const app = buildApp({
      config,
      db,
      log,
      secrets,
      version: VERSION,
      chainHealth: () => chainConnection.health(),
      earlyMounts: [
        // A verification the pool would refuse is refused before its body is parsed.
        { path: '/', handler: credentials.refuseAtCapacity },
        { path: '/lti', handler: lti.router },
        // The webhook's signature covers the raw body: mounted before the body parsers.
        { path: '/api/outcomes', handler: outcomesWebhookRouter({ db, kek: secrets.keyEncryptionKey, bodyLimit: config.bodyLimit, onQueued: () => runningIssuance.worker.poke() }) },
        // The demo LMS parses its own bodies, as a separate LMS would.
        ...(demo ? [{ path: DEMO_LMS_PATH, handler: demo.lmsHandler }] : []),
      ],
      routers: [
        // First: a verification is answered without trying the page routers' routes first.
        credentials.api,
        issuanceAdminRouter({ db, adminToken: secrets.adminToken, poke: () => runningIssuance.worker.poke() }),
        adminPlatformsRouter({ lti, adminToken: secrets.adminToken, publicUrl: config.publicUrl }),
        adminPagesRouter(
          {
            db,
            kek: secrets.keyEncryptionKey,
            adminToken: secrets.adminToken,
            publicUrl: config.publicUrl,
            pages,
            lti,
            keys: issuerKeys,
            onKeysChanged,
            chain: () => chainConnection.current(),
            chainKind: config.chain.kind,
            poke: () => runningIssuance.worker.poke(),
          },
          adminPages,
        ),
        adminTrustListsRouter({
          db,
          keys: issuerKeys,
          adminToken: secrets.adminToken,
          trustLists: config.chain.trustLists,
          provider: () => chainConnection.current()?.provider ?? null,
          context: adminPages,
        }),
        adminOutcomeSourcesRouter({ db, kek: secrets.keyEncryptionKey, adminToken: secrets.adminToken }),
        lmsAdminRouter({ db, kek: secrets.keyEncryptionKey, requireLaunch: lti.requireLaunch, pages }),
        instructorRouter({ db, lti, pages, syncNow: (contextId) => runningIssuance.syncNow(contextId) }),
        adminContextsRouter({ db, adminToken: secrets.adminToken, syncNow: (contextId) => runningIssuance.syncNow(contextId) }),
        learnerRouter({ db, lti, pages, publicUrl: config.publicUrl, learnerProgress: createLearnerProgress({ db }) }),
        // OpenID4VCI 1.0: a learner's badge into their wallet (README, "Wallet protocols").
        openid4vciRouter({ db, keys: issuerKeys, publicUrl: config.publicUrl, chainReference, requireLaunch: lti.requireLaunch }),
        // VC-API exchanges: the same, for the Learner Credential Wallet and LearnCard.
        vcapiExchangeRouter({ db, keys: issuerKeys, publicUrl: config.publicUrl, chainReference, requireLaunch: lti.requireLaunch }),
        achievementPagesRouter({ db, requireLaunch: lti.requireLaunch, deepLinkingResponse: (parameters) => lti.deepLinkingResponse(parameters), pages, poke: () => runningIssuance.worker.poke() }),
        chainRpcRouter({
          db,
          rpc: async (call) =>
            chainConnection.current()?.rpc(call) ?? { error: { code: -32603, message: 'chain_unreachable: the chain RPC has not answered since Sello started' } },
          publicUrl: config.publicUrl,
        }),
        // The deployment's chain, offered by the page for credentials of that chain (once known).
        verifierRouter({ publicUrl: config.publicUrl, chainId: () => chainConnection.reference()?.chainId ?? null }),
        chainWalletRouter({ db, adminToken: secrets.adminToken }),
        ...(demo ? [demo.router] : []),
        didRouter({
          db,
          keys: issuerKeys,
          adminToken: secrets.adminToken,
          onKeysChanged,
        }),
        statusRouter({ db, keys: issuerKeys, publicUrl: config.publicUrl }),
        issuerLogoRouter({ db }),
        achievementPublicRouter({ db, pages, publicUrl: config.publicUrl, keys: issuerKeys }),
        credentials.pages,
      ],
    });

    const server: Server = await new Promise((resolve, reject) => {
      const listening = app.listen(config.port, config.host, () => resolve(listening));
      listening.once('error', reject);
    });
    const port = (server.address() as AddressInfo).port;
    const url = config.port === 0 ? config.publicUrl.replace(/:\d+$/, `:${port}`) : config.publicUrl;
    const chainState = chainConnection.current() ? config.chain.kind : `${config.chain.kind}, unreachable: anchoring waits for it`;
    announce(`Sello ${VERSION} is running at ${url} (database: ${db.kind}, chain: ${chainState})`);
    if (demo) announce(`Try it: ${url}/demo (a demo LMS inside Sello; DEMO=0 turns it off)`);
    if (/^http:\/\/(?!localhost[:/]|localhost$|127\.|\[::1\])/.test(config.publicUrl)) {
      // Cross-site LMS launches need Sello's state cookie back on a form post: HTTPS only.
      announce('Note: PUBLIC_URL is plain http. An LMS on another site cannot launch Sello (browsers drop its login cookie); serve Sello over HTTPS, or run the LMS on this same host for a trial.');
    }

    let closing: Promise<void> | null = null;
    const close = () =>
      (closing ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        });
        for (const stop of stops.reverse()) await stop();
        await db.close();
      })());
    return {
      url,
      port,
      db,
      log,
      get chain() {
        const chain = chainConnection.current();
        if (!chain) throw new ChainError('chain_unreachable', 'The chain RPC has not answered since Sello started');
        return chain;
      },
      chainReady: chainConnection.ready,
      close,
    };
  } catch (error) {
    for (const stop of stops.reverse()) await stop().catch(() => {});
    await db.close().catch(() => {});
    throw error;
  }
}
