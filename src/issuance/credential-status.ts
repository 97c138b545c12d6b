/**
 * Revoke, suspend and unsuspend credentials, and serve the signed Bitstring Status
 * List credentials (https://www.w3.org/TR/vc-bitstring-status-list/) that carry the
 * bits. Every change is audit-logged and recorded in `credential_status_events`, which
 * the chain capability mirrors on-chain.
 */
import type { Queryable } from '../storage/database.ts';
import { createCredentialRepository } from '../storage/credential-repository.ts';
import { createStatusListRepository, type StatusEvent, type StatusPurpose } from '../storage/status-list-repository.ts';
import { createAuditRepository } from '../storage/audit-repository.ts';
import { CredentialError } from '../credentials/errors.ts';
import { buildStatusListCredential, encodeStatusList } from '../credentials/status-list.ts';
import { signCredential } from '../credentials/sign-credential.ts';
import { createDocumentLoader } from '../credentials/document-loader.ts';
import type { IssuerKeyProvider } from './issuer-keys.ts';
import { statusListUrl } from './issue-credential.ts';

export interface SetCredentialStatusResult {
  credentialId: string;
  purpose: StatusPurpose;
  value: boolean;
  /** False when the bit already had this value (nothing recorded). */
  changed: boolean;
  event: StatusEvent | null;
}

/**
 * Sets a credential's revocation or suspension bit. Setting the value it already has
 * changes nothing. Revocation is final (the spec's revocation purpose is irreversible).
 *
 * @throws CredentialError `credential_not_found`, `status_change_conflict` (un-revoking),
 *   `invalid_credential` (no reason given).
 */
export async function setCredentialStatus(params: {
  db: Queryable;
  credentialId: string;
  purpose: StatusPurpose;
  value: boolean;
  reason: string;
  actor: string;
}): Promise<SetCredentialStatusResult> {
  const { db, credentialId, purpose, value } = params;
  if (!params.reason || !params.reason.trim()) throw new CredentialError('invalid_credential', 'A reason is required to change a status');
  const credential = await createCredentialRepository(db).findById(credentialId);
  if (!credential) throw new CredentialError('credential_not_found', `No credential ${credentialId}`, { credentialId });
  const lists = createStatusListRepository(db);
  const current = await createCredentialRepository(db).findStatus(credentialId);
  if (!current) throw new CredentialError('credential_not_found', `Credential ${credentialId} has no status entry`, { credentialId });
  if (purpose === 'revocation' && current.revoked && !value) {
    throw new CredentialError('status_change_conflict', 'A revoked credential cannot be reinstated; issue a new one', { credentialId });
  }
  const updated = await lists.setBit({ credentialId, purpose, value });
  if (!updated || updated.previous === value) return { credentialId, purpose, value, changed: false, event: null };
  await lists.bumpVersion(updated.groupId);
  const event = await lists.recordEvent({
    credentialId,
    credentialHash: credential.hash,
    purpose,
    value,
    reason: params.reason.trim(),
    actor: params.actor,
  });
  const action = purpose === 'revocation' ? 'credential.revoked' : value ? 'credential.suspended' : 'credential.unsuspended';
  await createAuditRepository(db).record({ actor: params.actor, action, subject: credentialId, reason: params.reason.trim(), details: { purpose, value } });
  return { credentialId, purpose, value, changed: true, event };
}

/** Parses `<group uuid>-<purpose>`; null when it is not a status list id. */
export function parseStatusListId(listId: string): { groupId: string; purpose: StatusPurpose } | null {
  const match = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})-(revocation|suspension)$/.exec(listId);
  return match ? { groupId: match[1]!, purpose: match[2] as StatusPurpose } : null;
}

const contextsOnly = createDocumentLoader();

/** The verification method of a signed document's (first) proof. */
function signedWith(document: Record<string, unknown>): unknown {
  const proof = document.proof;
  return ((Array.isArray(proof) ? proof[0] : proof) as { verificationMethod?: unknown } | undefined)?.verificationMethod;
}

/**
 * The signed `BitstringStatusListCredential` for `listId`, issued by the DID that the
 * credentials on it carry (the spec's validation requires the list's issuer to be theirs,
 * https://www.w3.org/TR/vc-bitstring-status-list/#validate-algorithm) and signed by the key
 * that signs for that DID now (`IssuerKeyProvider.signingKeyFor`): a did:web list moves to
 * the new key at a rotation, a did:key list stays with the key that is its DID. It is
 * re-signed only when a status in its group changed since the cached copy, or the key did.
 *
 * @throws CredentialError `status_list_not_found`, `issuer_key_revoked` (a did:key list
 *   whose key was revoked: Sello signs nothing more with it), `signing_failed`.
 */
export async function getStatusListCredential(params: {
  db: Queryable;
  keys: IssuerKeyProvider;
  publicUrl: string;
  listId: string;
  now?: () => Date;
}): Promise<Record<string, unknown>> {
  const parsed = parseStatusListId(params.listId);
  const lists = createStatusListRepository(params.db);
  const group = parsed ? await lists.findGroup(parsed.groupId) : null;
  if (!parsed || !group) throw new CredentialError('status_list_not_found', `No status list ${params.listId}`, { listId: params.listId });
  // Groups from before lists were kept per DID, holding no credential, follow the current DID.
  const key = group.issuerDid
    ? await params.keys.signingKeyFor(group.issuerId, group.issuerDid, { db: params.db })
    : await params.keys.currentSigningKey(group.issuerId, { db: params.db });
  const cached = await lists.findDocument(params.listId);
  if (cached && cached.version === group.version && signedWith(cached.document) === key.verificationMethod) return cached.document;
  const now = params.now?.() ?? new Date();
  const unsigned = buildStatusListCredential({
    url: statusListUrl(params.publicUrl, group.id, parsed.purpose),
    issuer: key.controller,
    purpose: parsed.purpose,
    encodedList: await encodeStatusList({ setIndexes: await lists.setIndexes(group.id, parsed.purpose), length: group.length }),
    validFrom: now,
  });
  const signed = await signCredential({ credential: unsigned, key, documentLoader: contextsOnly, now });
  await lists.saveDocument({ listId: params.listId, groupId: group.id, purpose: parsed.purpose, version: group.version, document: signed });
  return signed;
}
