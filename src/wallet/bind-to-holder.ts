/**
 * A new credential of an award, its subject identified by the DID a wallet proved it
 * holds: what both wallet protocols (OpenID4VCI with a key proof, VC-API exchanges with
 * DIDAuth) deliver. It goes through `issueSubmittedCredential`, so it is signed by the
 * issuer's current key, status-listed and, being in the credentials table, anchored like
 * every other; `holder_bound_credentials` records it against the award's credential.
 */
import type { Database } from '../storage/database.ts';
import type { StoredCredential } from '../storage/credential-repository.ts';
import { createIssuerRepository } from '../storage/issuer-repository.ts';
import { createHolderBoundCredentialRepository, type WalletProtocol } from '../storage/holder-bound-credential-repository.ts';
import type { ChainReference } from '../credentials/chain-reference.ts';
import { issueSubmittedCredential } from '../issuance/issue-submitted-credential.ts';
import type { IssuerKeyProvider } from '../issuance/issuer-keys.ts';

export interface BindToHolderParameters {
  db: Database;
  keys: IssuerKeyProvider;
  publicUrl: string;
  chainReference: ChainReference | null;
  now?: () => Date;
  /** The award's credential, as Sello issued it. */
  source: StoredCredential;
  holderDid: string;
  /** Which protocol asked, and its offer or exchange. */
  via: { protocol: WalletProtocol; offerId?: string; exchangeId?: string };
}

/**
 * Issues the DID-bound copy of `source` and records it. Null when the issuer of `source`
 * is gone (callers answer with their protocol's refusal).
 *
 * @throws the errors of `issueSubmittedCredential` (signing, storage).
 */
export async function bindToHolder(params: BindToHolderParameters): Promise<StoredCredential | null> {
  const { source } = params;
  const unsigned: Record<string, unknown> = structuredClone(source.document);
  // What the signer adds anew: id, status entry, proof, validFrom (issued now, by the
  // issuer's current key), and the issuer's DID and chain reference as they are today.
  for (const field of ['id', 'proof', 'credentialStatus', 'validFrom'] as const) delete unsigned[field];
  const issuerRow = await createIssuerRepository(params.db).findById(source.issuerId);
  if (!issuerRow) return null;
  const currentDid = await params.keys.issuerDid(issuerRow);
  if (unsigned.issuer && typeof unsigned.issuer === 'object') {
    const issuer: Record<string, unknown> = { ...(unsigned.issuer as Record<string, unknown>), id: currentDid };
    delete issuer.otherIdentifier;
    unsigned.issuer = issuer;
  } else {
    unsigned.issuer = currentDid;
  }
  const subject = unsigned.credentialSubject as Record<string, unknown>;
  subject.id = params.holderDid;
  const stored = await issueSubmittedCredential({
    db: params.db,
    keys: params.keys,
    publicUrl: params.publicUrl,
    chainReference: params.chainReference,
    defaultIssuerId: source.issuerId,
    now: params.now,
    credential: unsigned,
    options: {
      ...(source.achievementId ? { achievementId: source.achievementId } : {}),
      ...(source.recipientUserId ? { recipient: { userId: source.recipientUserId } } : {}),
    },
  });
  // Recorded after signing (issueSubmittedCredential runs its own transaction): the
  // credential row itself, with its recipient and achievement, is already the durable part.
  await createHolderBoundCredentialRepository(params.db).record({
    credentialId: stored.id,
    sourceCredentialId: source.id,
    holderDid: params.holderDid,
    ...params.via,
  });
  return stored;
}
