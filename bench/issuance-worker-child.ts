/**
 * An extra Sello issuance worker process for the PostgreSQL run of the issuance bench:
 * the scale-out deployment in miniature (another process on the same database, sharing
 * the work through SKIP LOCKED claims), so the second core does pipeline work too.
 * Prints "ready" once its worker runs; stops on SIGTERM.
 */
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import { openDatabase } from '../src/storage/database.ts';
import { createLti } from '../src/lti/provider.ts';
import { createPageRenderer } from '../src/web/views.ts';
import { createIssuanceWorker } from '../src/issuance/issuance-worker.ts';
import { createIssueCredentialSigner } from '../src/issuance/credential-signer.ts';
import { createIssuerKeyProvider } from '../src/issuance/issuer-keys.ts';
import { createAgsGradebook } from '../src/issuance/ags-gradebook.ts';

const config = loadConfig(process.env);
const log = createLogger({ level: 'silent' });
const db = await openDatabase(config.database);
const lti = await createLti({ db, config, keyEncryptionKey: config.secrets.keyEncryptionKey!, log, pages: createPageRenderer(), purgeIntervalMs: 0 });
const worker = createIssuanceWorker({
  db,
  signer: createIssueCredentialSigner({
    keys: createIssuerKeyProvider({ db, kek: config.secrets.keyEncryptionKey!, publicUrl: config.publicUrl }),
    publicUrl: config.publicUrl,
    chainReference: { chainId: 31337, contract: '0x5FbDB2315678afecb367f032d93F642f64180aa3' },
  }),
  gradebook: createAgsGradebook({ db, services: lti.services }),
  publicUrl: config.publicUrl,
  defaultLocale: 'en',
  log,
  concurrency: config.issuance.workers,
  maxAttempts: 3,
  idlePollMs: 50,
});
worker.start();
console.log('ready');
process.on('SIGTERM', () => {
  void (async () => {
    await worker.stop();
    await lti.close();
    await db.close();
    process.exit(0);
  })();
});
