/**
 * One more Sello issuance process on a shared PostgreSQL, as the scale-out deployment
 * runs them: Sello's own worker, signer and gradebook on the database that DATABASE_URL
 * names (with its search_path). It prints "ready" once its worker runs, then
 * "signed <awardId>" for each credential it signs, so a test knows which process did
 * which award. Stops on SIGTERM.
 */
import { loadConfig } from '../../../src/config.ts';
import { createLogger } from '../../../src/logger.ts';
import { openDatabase } from '../../../src/storage/database.ts';
import { createLti } from '../../../src/lti/provider.ts';
import { createPageRenderer } from '../../../src/web/views.ts';
import { createIssuanceWorker } from '../../../src/issuance/issuance-worker.ts';
import { createIssueCredentialSigner } from '../../../src/issuance/credential-signer.ts';
import { createIssuerKeyProvider } from '../../../src/issuance/issuer-keys.ts';
import { createAgsGradebook } from '../../../src/issuance/ags-gradebook.ts';

const config = loadConfig(process.env);
const log = createLogger({ level: 'silent' });
const db = await openDatabase(config.database);
const lti = await createLti({ db, config, keyEncryptionKey: config.secrets.keyEncryptionKey!, log, pages: createPageRenderer(), purgeIntervalMs: 0 });
const signer = createIssueCredentialSigner({
  keys: createIssuerKeyProvider({ db, kek: config.secrets.keyEncryptionKey!, publicUrl: config.publicUrl }),
  publicUrl: config.publicUrl,
  chainReference: { chainId: 31337, contract: '0x5FbDB2315678afecb367f032d93F642f64180aa3' },
});
const worker = createIssuanceWorker({
  db,
  signer: {
    async sign(parameters) {
      const signed = await signer.sign(parameters);
      process.stdout.write(`signed ${parameters.award.id}\n`);
      return signed;
    },
    revoke: signer.revoke,
  },
  gradebook: createAgsGradebook({ db, services: lti.services }),
  publicUrl: config.publicUrl,
  defaultLocale: 'en',
  log,
  concurrency: config.issuance.workers,
  maxAttempts: 10,
  idlePollMs: 50,
});
worker.start();
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  void (async () => {
    await worker.stop();
    await lti.close();
    await db.close();
    process.exit(0);
  })();
});
