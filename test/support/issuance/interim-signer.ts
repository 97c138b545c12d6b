/**
 * INTERIM: stores an unsigned credential row per award, idempotent by id, so the pipeline
 * can be tested before the credentials capability's `issueCredential` is in the tree.
 * Replaced by `createIssueCredentialSigner` (src/issuance/credential-signer.ts) when it lands.
 */
import crypto from 'node:crypto';
import type { AwardCredentialSigner } from '../../../src/issuance/ports.ts';

export function createInterimSigner(): AwardCredentialSigner & { signed: string[]; revoked: string[] } {
  const signer = {
    signed: [] as string[],
    revoked: [] as string[],
    async sign({ db, award, achievement, learner, credentialId, now }: Parameters<AwardCredentialSigner['sign']>[0]) {
      const document = {
        id: credentialId,
        type: ['VerifiableCredential', 'OpenBadgeCredential'],
        credentialSubject: { id: learner.did ?? `urn:sello:user:${learner.id}`, achievement: { id: achievement.id, name: achievement.name } },
        validFrom: now.toISOString(),
      };
      const hash = `0x${crypto.createHash('sha256').update(JSON.stringify(document)).digest('hex')}`;
      await db.query(
        `INSERT INTO credentials (id, issuer_id, achievement_id, recipient_user_id, hash, document, valid_from)
         VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7) ON CONFLICT (id) DO NOTHING`,
        [credentialId, achievement.issuerId, achievement.id, award.userId, hash, JSON.stringify(document), now.toISOString()],
      );
      signer.signed.push(credentialId);
      const { rows } = await db.query<{ id: string; hash: string }>('SELECT id, hash FROM credentials WHERE id = $1', [credentialId]);
      return rows[0]!;
    },
    async revoke({ credentialId }: { credentialId: string }) {
      signer.revoked.push(credentialId);
    },
  };
  return signer;
}
