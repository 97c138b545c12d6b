/** The real pipeline on a test database: real signer (issueCredential), recorded gradebook. */
import type { Database } from '../../../src/storage/database.ts';
import { createIssuanceWorker } from '../../../src/issuance/issuance-worker.ts';
import { createIssueCredentialSigner } from '../../../src/issuance/credential-signer.ts';
import { createIssuerKeyProvider } from '../../../src/issuance/issuer-keys.ts';
import { createLogger } from '../../../src/logger.ts';
import type { GradebookPoster } from '../../../src/issuance/ports.ts';
import { testConfig } from '../config.ts';

export const testPublicUrl = 'http://localhost:3000';

export function testPipelineWorker(db: Database, gradebook: GradebookPoster) {
  return createIssuanceWorker({
    db,
    signer: createIssueCredentialSigner({
      keys: createIssuerKeyProvider({ db, kek: testConfig().secrets.keyEncryptionKey!, publicUrl: testPublicUrl }),
      publicUrl: testPublicUrl,
      chainReference: null,
    }),
    gradebook,
    publicUrl: testPublicUrl,
    defaultLocale: 'en',
    log: createLogger({ level: 'silent' }),
    concurrency: 4,
    maxAttempts: 3,
    baseBackoffMs: 1,
    maxBackoffMs: 5,
  });
}
