/**
 * The pipeline's signing port, backed by the credentials capability: `issueCredential`
 * (idempotent by credential id) and `setCredentialStatus` for revocation.
 */
import type { ChainReference } from '../credentials/chain-reference.ts';
import type { Database, Queryable } from '../storage/database.ts';
import { issueCredential } from './issue-credential.ts';
import { setCredentialStatus } from './credential-status.ts';
import type { IssuerKeyProvider } from './issuer-keys.ts';
import type { AwardCredentialSigner } from './ports.ts';

export interface CreateIssueCredentialSignerParameters {
  keys: IssuerKeyProvider;
  publicUrl: string;
  /** The chain credentials name; a function when it is learnt after start-up (RPC down then). */
  chainReference: ChainReference | null | (() => ChainReference | null);
}

/**
 * Signs an award's OB 3.0 AchievementCredential for the learner.
 *
 * @see https://www.imsglobal.org/spec/ob/v3p0/#achievementcredential
 * @throws CredentialError `invalid_credential` when the learner has neither email nor DID
 *   (the job is retried and parked as `failed` with that message), `signing_failed`.
 */
export function createIssueCredentialSigner({ keys, publicUrl, chainReference }: CreateIssueCredentialSignerParameters): AwardCredentialSigner {
  // The issuer's key must exist before the signing transactions start: creating it inside
  // them locks the issuer row while concurrent ones hold key-share locks on it (their
  // status list rows reference the issuer), which PostgreSQL resolves as a deadlock.
  const keysReady = new Map<string, Promise<unknown>>();
  const ensureKey = (issuerId: string) => {
    let ready = keysReady.get(issuerId);
    if (!ready) {
      ready = keys.ensureKey(issuerId).catch((error: unknown) => {
        keysReady.delete(issuerId);
        throw error;
      });
      keysReady.set(issuerId, ready);
    }
    return ready;
  };
  return {
    async sign({ db, award, achievement, learner, credentialId, now }) {
      await ensureKey(achievement.issuerId);
      // One transaction for the whole issuance: the status list index, the issuer key
      // created on first use and the credential row commit together or not at all, so a
      // failed or killed attempt leaves nothing half-claimed for the retry to trip on.
      const inTransaction = <T>(work: (tx: Queryable) => Promise<T>) =>
        'transaction' in db && typeof (db as Database).transaction === 'function' ? (db as Database).transaction(work) : work(db);
      const stored = await inTransaction((tx) => issueCredential({
        db: tx,
        keys,
        publicUrl,
        chainReference: typeof chainReference === 'function' ? chainReference() : chainReference,
        now: () => now,
        issuerId: achievement.issuerId,
        achievement,
        recipient: { userId: learner.id, email: learner.email, name: learner.name, did: learner.did },
        credentialId,
        evidence: award.origin === 'manual' && award.reason ? [{ narrative: award.reason }] : undefined,
      }));
      return { id: stored.id, hash: stored.hash };
    },
    async revoke({ db, credentialId, reason, actor }) {
      const run = (work: (tx: Queryable) => Promise<unknown>) =>
        'transaction' in db && typeof (db as Database).transaction === 'function' ? (db as Database).transaction(work) : work(db);
      await run((tx) => setCredentialStatus({ db: tx, credentialId, purpose: 'revocation', value: true, reason, actor }));
    },
  };
}
