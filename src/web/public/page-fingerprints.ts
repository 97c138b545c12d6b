/**
 * Reads credential page fingerprints for the views being served, several views to one
 * query: under load (issue 15: a cohort opening its badges at once) the database's
 * round trips, not Sello's CPU, bound how many pages a second one process serves, and a
 * query for fifty ids costs about what a query for one does.
 *
 * A view's id is never answered by a query sent before the view arrived: it waits for the
 * next query, which starts at once while fewer than `maxInFlight` are running. So a view
 * that starts after a revocation committed (in any process) always sees it.
 */
import type { Queryable } from '../../storage/database.ts';
import { findCredentialPageFingerprints, type CredentialPageFingerprint } from '../../storage/credential-page-fingerprint.ts';

export type PageFingerprintReader = (credentialId: string) => Promise<CredentialPageFingerprint | null>;

export interface PageFingerprintReaderOptions {
  db: Queryable;
  /** Queries running at once; the rest of the views wait for the next one. Default 4 (the pool has 10 by default). */
  maxInFlight?: number;
  /** Ids per query at most. Default 200. */
  maxBatch?: number;
}

export function createPageFingerprintReader({ db, maxInFlight = 4, maxBatch = 200 }: PageFingerprintReaderOptions): PageFingerprintReader {
  type Waiting = { credentialId: string; resolve: (value: CredentialPageFingerprint | null) => void; reject: (error: unknown) => void };
  let waiting: Waiting[] = [];
  let inFlight = 0;
  const send = () => {
    while (inFlight < maxInFlight && waiting.length > 0) {
      const batch = waiting.slice(0, maxBatch);
      waiting = waiting.slice(batch.length);
      inFlight += 1;
      findCredentialPageFingerprints(db, [...new Set(batch.map((view) => view.credentialId))])
        .then(
          (rows) => {
            const found = new Map(rows.map((row) => [row.credentialId, row]));
            for (const view of batch) view.resolve(found.get(view.credentialId) ?? null);
          },
          (error: unknown) => {
            for (const view of batch) view.reject(error);
          },
        )
        .finally(() => {
          inFlight -= 1;
          send();
        });
    }
  };
  return (credentialId) =>
    new Promise((resolve, reject) => {
      waiting.push({ credentialId, resolve, reject });
      send();
    });
}
