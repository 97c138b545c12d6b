/**
 * The pipeline's signing port, backed by the credentials capability: `issueCredential`
 * (idempotent by credential id) and `setCredentialStatus` for revocation.
 */
import type { ChainReference } from '../credentials/chain-reference.ts';
import { issueCredential } from './issue-credential.ts';
import { setCredentialStatus } from './credential-status.ts';
import type { IssuerKeyProvider } from './issuer-keys.ts';
import type { AwardCredentialSigner } from './ports.ts';

export interface CreateIssueCredentialSignerParameters {
  keys: IssuerKeyProvider;
  publicUrl: string;
  chainReference: ChainReference | null;
}

/**
 * Signs an award's OB 3.0 AchievementCredential for the learner.
 *
 * @see https://www.imsglobal.org/spec/ob/v3p0/#achievementcredential
 * @throws CredentialError `invalid_credential` when the learner has neither email nor DID
 *   (the job is retried and parked as `failed` with that message), `signing_failed`.
 */
export function createIssueCredentialSigner({ keys, publicUrl, chainReference }: CreateIssueCredentialSignerParameters): AwardCredentialSigner {
  return {
    async sign({ db, award, achievement, learner, credentialId, now }) {
      const stored = await issueCredential({
        db,
        keys,
        publicUrl,
        chainReference,
        now: () => now,
        issuerId: achievement.issuerId,
        achievement,
        recipient: {
          userId: learner.id,
          email: learner.email ?? undefined,
          name: learner.name ?? undefined,
          did: learner.did ?? undefined,
        },
        credentialId,
        evidence: award.origin === 'manual' && award.reason ? [{ narrative: award.reason }] : undefined,
      });
      return { id: stored.id, hash: stored.hash };
    },
    async revoke({ db, credentialId, reason, actor }) {
      await setCredentialStatus({ db, credentialId, purpose: 'revocation', value: true, reason, actor });
    },
  };
}
