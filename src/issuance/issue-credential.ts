/**
 * `issueCredential`: turns an achievement and a recipient into a signed, stored OB 3.0
 * credential (https://www.imsglobal.org/spec/ob/v3p0/#achievementcredential), with its
 * status list index allocated and its chain reference inside. Idempotent by
 * `credentialId`; runs inside the caller's transaction when given one.
 */
import crypto from 'node:crypto';
import type { Queryable } from '../storage/database.ts';
import type { Achievement } from '../storage/achievement-repository.ts';
import { createIssuerRepository } from '../storage/issuer-repository.ts';
import { createUserRepository } from '../storage/user-repository.ts';
import { createCredentialRepository, type StoredCredential } from '../storage/credential-repository.ts';
import { createStatusListRepository } from '../storage/status-list-repository.ts';
import { CredentialError } from '../credentials/errors.ts';
import { buildAchievementCredential, type AchievementInput, type EvidenceInput, type StatusEntryInput } from '../credentials/build-credential.ts';
import { signCredential } from '../credentials/sign-credential.ts';
import { credentialHash } from '../credentials/credential-hash.ts';
import { createDocumentLoader } from '../credentials/document-loader.ts';
import { STATUS_LIST_LENGTH } from '../credentials/status-list.ts';
import { generateBadgeSvg } from '../credentials/badge-image.ts';
import type { ChainReference } from '../credentials/chain-reference.ts';
import type { IssuerKeyProvider } from './issuer-keys.ts';

export type { StoredCredential };

/** A group takes new credentials until half full: random picks then need ~2 tries at worst. */
const GROUP_MAX_FILL = STATUS_LIST_LENGTH / 2;
const MAX_INDEX_ATTEMPTS = 64;

export interface IssueCredentialParameters {
  db: Queryable;
  keys: IssuerKeyProvider;
  publicUrl: string;
  chainReference: ChainReference | null;
  now?: () => Date;
  issuerId: string;
  achievement: Achievement;
  /**
   * Who receives it. With `userId`, a field left undefined is read from the user's row;
   * `null` says the caller knows the user has none (no second read of a row in hand).
   */
  recipient: { userId?: string; email?: string | null; name?: string | null; did?: string | null };
  evidence?: EvidenceInput[];
  validFrom?: Date;
  validUntil?: Date;
  /** `urn:uuid:…`; the same id returns the credential already issued under it. */
  credentialId?: string;
}

/** The public URL of a status list (`/status/<group>-<purpose>`). */
export function statusListUrl(publicUrl: string, groupId: string, purpose: 'revocation' | 'suspension'): string {
  return `${publicUrl}/status/${groupId}-${purpose}`;
}

/** The achievement's image, or a generated SVG badge as a data: URL (it survives Sello). */
function achievementImage(achievement: Achievement, issuerName: string): string {
  if (achievement.imageUrl) return achievement.imageUrl;
  const svg = generateBadgeSvg({ achievementName: achievement.name, issuerName });
  return `data:image/svg+xml;base64,${Buffer.from(svg, 'utf8').toString('base64')}`;
}

/** `months` calendar months after `date` (UTC), on the month's last day when it is shorter: 31 Jan + 1 → 28/29 Feb. */
export function addMonths(date: Date, months: number): Date {
  const target = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + months, 1, date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds()));
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(date.getUTCDate(), lastDay));
  return target;
}

function narrativeOf(achievement: Achievement): string | undefined {
  const narratives = achievement.criteriaNarrative ?? {};
  return narratives[achievement.inLanguage] ?? narratives.en ?? Object.values(narratives)[0];
}

/**
 * Issues (or returns the already issued) credential.
 *
 * @throws CredentialError `invalid_credential` (no recipient DID or email, bad dates),
 *   `issuer_key_not_found` (no such issuer), `signing_failed`, `status_list_full_conflict`.
 */
export async function issueCredential(params: IssueCredentialParameters): Promise<StoredCredential> {
  const { db, achievement } = params;
  const now = params.now ?? (() => new Date());
  const credentials = createCredentialRepository(db);
  if (params.credentialId) {
    const existing = await credentials.findById(params.credentialId);
    if (existing) return existing;
  }
  const issuer = await createIssuerRepository(db).findById(params.issuerId);
  if (!issuer) throw new CredentialError('issuer_key_not_found', `No issuer ${params.issuerId}`, { issuerId: params.issuerId });

  const given = params.recipient;
  const user =
    given.userId && (given.email === undefined || given.name === undefined || given.did === undefined)
      ? await createUserRepository(db).findById(given.userId)
      : null;
  const recipient = {
    userId: given.userId,
    email: (given.email === undefined ? user?.email : given.email) ?? undefined,
    name: (given.name === undefined ? user?.name : given.name) ?? undefined,
    did: (given.did === undefined ? user?.did : given.did) ?? undefined,
  };
  if (!recipient.email && !recipient.did) {
    throw new CredentialError('invalid_credential', 'The recipient needs an email or a DID', { userId: recipient.userId ?? null });
  }
  const validFrom = params.validFrom ?? now();
  const validUntil =
    params.validUntil ??
    (achievement.validForMonths
      ? addMonths(validFrom, achievement.validForMonths)
      : achievement.validForDays
        ? new Date(validFrom.getTime() + achievement.validForDays * 86_400_000)
        : undefined);
  if (validUntil && validUntil <= validFrom) {
    throw new CredentialError('invalid_credential', 'validUntil must be after validFrom');
  }

  const id = params.credentialId ?? `urn:uuid:${crypto.randomUUID()}`;
  const key = await params.keys.currentSigningKey(issuer.id, { db, issuer });
  const status = await allocateRevocationEntry({ db, issuerId: issuer.id, issuerDid: key.controller, credentialId: id, publicUrl: params.publicUrl });

  const unsigned = buildAchievementCredential({
    id,
    issuer: { id: key.controller, name: issuer.name, url: issuer.url, email: issuer.email, image: issuer.imageUrl, description: issuer.description },
    achievement: achievementInput(achievement, issuer.name, params.publicUrl),
    recipient,
    validFrom,
    validUntil,
    evidence: params.evidence,
    status: status.entry,
    chainReference: params.chainReference,
  });
  const document = await signCredential({ credential: unsigned, key, documentLoader: sharedLoader, now: now() });
  const stored = await credentials.insert({
    id,
    hash: credentialHash(document),
    document,
    issuerId: issuer.id,
    achievementId: achievement.id,
    recipientUserId: recipient.userId ?? null,
    validFrom,
    validUntil: validUntil ?? null,
  });
  return stored ?? (await credentials.findById(id))!;
}

/** A stored achievement as the credential's `Achievement` describes it (`buildAchievement`'s input). */
export function achievementInput(achievement: Achievement, issuerName: string, publicUrl: string): AchievementInput {
  return {
    id: `${publicUrl}/achievements/${achievement.id}`,
    name: achievement.name,
    description: achievement.description || achievement.name,
    criteria: { narrative: narrativeOf(achievement) ?? achievement.description ?? achievement.name },
    image: achievementImage(achievement, issuerName),
    achievementType: achievement.achievementType,
    alignment: achievement.alignments,
    tag: achievement.tags,
    inLanguage: achievement.inLanguage,
  };
}

/**
 * Claims a random index in an open status list group of the DID the credential carries
 * (its lists must be issued by that DID too, and a did:key issuer's DID changes at every
 * rotation) and returns the credential's `BitstringStatusListEntry` input. The group
 * counts the index when the caller's transaction commits.
 *
 * @see https://www.w3.org/TR/vc-bitstring-status-list/#bitstringstatuslistentry
 * @throws CredentialError `status_list_full_conflict`
 */
export async function allocateRevocationEntry(params: { db: Queryable; issuerId: string; issuerDid: string; credentialId: string; publicUrl: string }): Promise<{ entry: StatusEntryInput }> {
  const statusLists = createStatusListRepository(params.db);
  const group = await statusLists.findOpenGroup({ issuerId: params.issuerId, issuerDid: params.issuerDid, length: STATUS_LIST_LENGTH, maxFill: GROUP_MAX_FILL });
  let index: number | null = null;
  for (let attempt = 0; attempt < MAX_INDEX_ATTEMPTS && index === null; attempt += 1) {
    // Random, so a list position says nothing about issuance order.
    const candidate = crypto.randomInt(group.length);
    if (await statusLists.claimIndex({ groupId: group.id, index: candidate, credentialId: params.credentialId })) index = candidate;
  }
  if (index === null) throw new CredentialError('status_list_full_conflict', 'Could not allocate a status list index', { groupId: group.id });
  return {
    entry: { statusListCredential: statusListUrl(params.publicUrl, group.id, 'revocation'), statusListIndex: index, statusPurpose: 'revocation' },
  };
}

/** The `credentialStatus` entry of `buildAchievementCredential`, for credentials built elsewhere. */
export function statusEntryJson(entry: StatusEntryInput): Record<string, unknown> {
  return {
    id: `${entry.statusListCredential}#${entry.statusListIndex}`,
    type: 'BitstringStatusListEntry',
    statusPurpose: entry.statusPurpose,
    statusListIndex: String(entry.statusListIndex),
    statusListCredential: entry.statusListCredential,
  };
}

// Signing loads contexts only (never DIDs), so one loader serves every issuance.
export const sharedLoader = createDocumentLoader();
