/**
 * `POST /credentials/issue` (VC API, https://w3c-ccg.github.io/vc-api/#issue-credential):
 * signs the credential the caller sends when it is a valid VC Data Model 2.0 credential
 * (an Open Badges 3.0 `OpenBadgeCredential` / `AchievementCredential`, or any other
 * type), adding only what the caller left out and the issuer may add; or, for Sello's
 * own shape (no `@context`), builds the OB 3.0 credential from a stored or described
 * achievement and a recipient. Either way the credential is recorded (so
 * `/credentials/<uuid>` serves it) and, being in the credentials table, anchored by the
 * batcher like every other.
 */
import crypto from 'node:crypto';
import type { Database, Queryable } from '../storage/database.ts';
import { createAchievementRepository, type Achievement, type AchievementInput } from '../storage/achievement-repository.ts';
import { createIssuerRepository, DEFAULT_ISSUER_SLUG, type Issuer } from '../storage/issuer-repository.ts';
import { createIssuerKeyRepository } from '../storage/issuer-key-repository.ts';
import { createCredentialRepository, type StoredCredential } from '../storage/credential-repository.ts';
import { createUserRepository } from '../storage/user-repository.ts';
import { CredentialError } from '../credentials/errors.ts';
import { buildAchievement, buildIssuerProfile, toXsdDateTime, type EvidenceInput } from '../credentials/build-credential.ts';
import { signCredential } from '../credentials/sign-credential.ts';
import { credentialHash } from '../credentials/credential-hash.ts';
import { didWebFromUrl } from '../credentials/did.ts';
import { hashedEmailIdentity } from '../credentials/recipient-identifier.ts';
import { chainReferenceIdentifier, CHAIN_REFERENCE_IDENTIFIER_TYPE, type ChainReference } from '../credentials/chain-reference.ts';
import { isOpenBadgeCredential, parseDateTimeStamp, vcDataModelProblems } from '../credentials/vc-data-model.ts';
import { validateOb3Schema } from '../credentials/schema.ts';
import { achievementInput, allocateRevocationEntry, issueCredential, sharedLoader, statusEntryJson } from './issue-credential.ts';
import type { IssuerKeyProvider } from './issuer-keys.ts';

/** The recipient as Sello's own option describes it (`options.recipient`). */
export interface RecipientOption {
  userId?: string;
  email?: string;
  name?: string;
  did?: string;
}

/**
 * `options` of the request: the VC API's own (`created`, `credentialId`, `challenge`,
 * `domain`, `mandatoryPointers`, `credentialStatus`) and Sello's conveniences.
 */
export interface IssueOptions {
  /** The proof's `created` (VC API); default now. */
  created?: string;
  /** The credential's `id` when it has none (`urn:uuid:…` or another URL). */
  credentialId?: string;
  /** Accepted for the VC API's sake; an issued credential's assertion proof carries neither. */
  challenge?: string;
  domain?: string;
  /** Accepted; eddsa-rdfc-2022 has no selective disclosure, so there is nothing to point at. */
  mandatoryPointers?: string[];
  /** `{type: "BitstringStatusListEntry"}` (the default): the status entry Sello adds. */
  credentialStatus?: { type: string };
  /** Sello: a stored achievement to issue (the credential's achievement when it has none). */
  achievementId?: string;
  /** Sello: who receives it (fills what the subject leaves out). */
  recipient?: RecipientOption;
  /** Sello's own shape only. */
  validFrom?: string;
  validUntil?: string;
  evidence?: EvidenceInput[];
}

export interface IssueSubmittedCredentialParameters {
  db: Database;
  keys: IssuerKeyProvider;
  publicUrl: string;
  chainReference: ChainReference | null;
  /** The issuer of a credential that names none and of Sello's own shape. */
  defaultIssuerId: string;
  now?: () => Date;
  credential: Record<string, unknown>;
  options: IssueOptions;
}

const UUID_ID = /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const isObject = (value: unknown): value is Record<string, unknown> => !!value && typeof value === 'object' && !Array.isArray(value);

/** True when the request holds a credential to sign as given, not Sello's own shape. */
export function isSubmittedCredential(credential: Record<string, unknown> | undefined): boolean {
  return !!credential && (credential['@context'] !== undefined || credential.type !== undefined);
}

/**
 * Issues what `POST /credentials/issue` was given: the submitted credential when it has
 * `@context` or `type`, Sello's own shape otherwise.
 *
 * @throws CredentialError with the VC Data Model codes of `vc-data-model.ts`
 *   (`invalid_credential_context`, `invalid_credential_type`, `invalid_credential_issuer`,
 *   `invalid_credential_subject`, `invalid_credential_date`,
 *   `invalid_credential_validity_period`, …), `invalid_open_badge_credential` (the
 *   official OB 3.0 schema refuses it), `credential_jsonld_invalid` (a term its contexts do
 *   not define), `credential_issuer_forbidden` (another issuer), `credential_id_conflict`,
 *   `invalid_issue_options`, `achievement_not_found`, `user_not_found`.
 */
export async function issueSubmittedCredential(params: IssueSubmittedCredentialParameters): Promise<StoredCredential> {
  // The record's recipient must be a user of this Sello (a foreign key): refused here, by
  // name, before anything is signed, rather than by the insert as a 500.
  const userId = params.options.recipient?.userId;
  if (userId !== undefined && !(await createUserRepository(params.db).findById(userId))) {
    refuse('user_not_found', 'No user with this id (options.recipient.userId)', { userId });
  }
  return isSubmittedCredential(params.credential) ? signSubmitted(params) : issueSelloShape(params);
}

function refuse(code: ConstructorParameters<typeof CredentialError>[0], message: string, details?: Record<string, unknown>): never {
  throw new CredentialError(code, message, details);
}

/** The id a credential names as its issuer (a URL, or an object's `id`). */
function namedIssuer(credential: Record<string, unknown>): string | null {
  const issuer = credential.issuer;
  if (typeof issuer === 'string') return issuer;
  return isObject(issuer) && typeof issuer.id === 'string' ? issuer.id : null;
}

/**
 * The issuer of this deployment that `did` names: the deployment's did:web, a tenant's
 * `did:web:<host>:issuers:<slug>`, or the did:key of an issuer's key. Null when none.
 */
async function issuerNamedBy(db: Queryable, publicUrl: string, did: string): Promise<Issuer | null> {
  const issuers = createIssuerRepository(db);
  const root = didWebFromUrl(publicUrl);
  if (did === root) return issuers.findBySlug(DEFAULT_ISSUER_SLUG);
  if (did.startsWith(`${root}:issuers:`)) return issuers.findBySlug(decodeURIComponent(did.slice(`${root}:issuers:`.length)));
  if (did.startsWith('did:key:')) {
    const key = await createIssuerKeyRepository(db).findByPublicKey(did.slice('did:key:'.length));
    return key ? issuers.findById(key.issuerId) : null;
  }
  return null;
}

/** The achievement a stored id or our own achievement URL names, or null. */
async function storedAchievement(db: Queryable, publicUrl: string, ref: string): Promise<Achievement | null> {
  const prefix = `${publicUrl}/achievements/`;
  const uuid = ref.startsWith(prefix) ? ref.slice(prefix.length) : ref;
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(uuid)) return null;
  return createAchievementRepository(db).findById(uuid.toLowerCase());
}

function optionProblem(message: string, option: string): never {
  refuse('invalid_issue_options', message, { option });
}

async function signSubmitted(params: IssueSubmittedCredentialParameters): Promise<StoredCredential> {
  const { db, keys, publicUrl, options } = params;
  const submitted = params.credential;
  const problems = vcDataModelProblems(submitted);
  if (problems.length > 0) refuse(problems[0]!.code, problems[0]!.message, { path: problems[0]!.path, problems });
  for (const sellosOwn of ['validFrom', 'validUntil', 'evidence'] as const) {
    if (options[sellosOwn] !== undefined) optionProblem(`options.${sellosOwn} applies to Sello's own request shape; put ${sellosOwn} in the credential`, sellosOwn);
  }
  if (options.credentialStatus && submitted.credentialStatus !== undefined) {
    optionProblem('The credential already has a credentialStatus; drop options.credentialStatus or the credential\'s own', 'credentialStatus');
  }
  if (options.credentialId !== undefined && submitted.id !== undefined && submitted.id !== options.credentialId) {
    optionProblem('options.credentialId differs from the credential\'s id', 'credentialId');
  }
  const ob = isOpenBadgeCredential(submitted);

  // Who signs: the issuer the credential names must be this deployment's (or a tenant's).
  const achievementOption = options.achievementId ? await storedAchievement(db, publicUrl, options.achievementId) : null;
  if (options.achievementId && !achievementOption) refuse('achievement_not_found', 'No achievement with this id', { achievementId: options.achievementId });
  const named = namedIssuer(submitted);
  const issuer = named
    ? await issuerNamedBy(db, publicUrl, named)
    : await createIssuerRepository(db).findById(achievementOption?.issuerId ?? params.defaultIssuerId);
  if (!issuer) {
    refuse('credential_issuer_forbidden', `Sello signs only as its own issuers; ${named} is not one of them (leave issuer out to sign as ${didWebFromUrl(publicUrl)} or the current did:key)`, {
      issuer: named,
    });
  }
  if (achievementOption && achievementOption.issuerId !== issuer.id) {
    refuse('credential_issuer_forbidden', 'The achievement belongs to another issuer than the credential names', { issuer: named, achievementId: achievementOption.id });
  }
  const currentKey = await keys.ensureKey(issuer.id);

  return params.db.transaction(async (tx) => {
    const key = await keys.currentSigningKey(issuer.id, { db: tx, issuer });
    if (named && named !== key.controller) {
      refuse('credential_issuer_forbidden', `${named} is not the issuer's current DID; its credentials are signed as ${key.controller}`, { issuer: named, current: key.controller });
    }
    const credentials = createCredentialRepository(tx);
    const created = options.created ? new Date(options.created) : (params.now ?? (() => new Date()))();
    const unsigned: Record<string, unknown> = structuredClone(submitted);

    // id: the caller's, or the one asked for; OB 3.0 requires one, so an OB credential gets a fresh one.
    if (unsigned.id === undefined && options.credentialId !== undefined) unsigned.id = options.credentialId;
    if (unsigned.id === undefined && ob) unsigned.id = `urn:uuid:${crypto.randomUUID()}`;
    const documentId = typeof unsigned.id === 'string' ? unsigned.id : null;
    if (documentId && UUID_ID.test(documentId) && (await credentials.findById(documentId))) {
      refuse('credential_id_conflict', `Sello already issued a credential with the id ${documentId}`, { id: documentId });
    }
    // Sello's record of it: the credential's own urn:uuid, or one of Sello's.
    const recordId = documentId && UUID_ID.test(documentId) ? documentId : `urn:uuid:${crypto.randomUUID()}`;

    const profile = { id: key.controller, name: issuer.name, url: issuer.url, email: issuer.email, image: issuer.imageUrl, description: issuer.description };
    if (ob) {
      // OB 3.0's issuer is a Profile; the chain reference rides in its otherIdentifier.
      const given = isObject(unsigned.issuer) ? unsigned.issuer : {};
      const filled = { ...buildIssuerProfile(profile), ...given };
      const others = filled.otherIdentifier === undefined ? [] : Array.isArray(filled.otherIdentifier) ? [...filled.otherIdentifier] : [filled.otherIdentifier];
      const hasReference = others.some((entry) => isObject(entry) && entry.identifierType === CHAIN_REFERENCE_IDENTIFIER_TYPE);
      if (params.chainReference && !hasReference) others.push(chainReferenceIdentifier(params.chainReference));
      if (others.length > 0) filled.otherIdentifier = others;
      unsigned.issuer = filled;
      if (unsigned.validFrom === undefined) unsigned.validFrom = toXsdDateTime(created);
    } else if (unsigned.issuer === undefined) {
      unsigned.issuer = key.controller;
    }

    let achievementId: string | null = null;
    if (ob) achievementId = await completeAchievementSubject({ tx, params, issuer, unsigned, achievementOption });

    const validFrom = parseDateTimeStamp(unsigned.validFrom);
    const validUntil = parseDateTimeStamp(unsigned.validUntil);
    if (validFrom && validUntil && validUntil < validFrom) refuse('invalid_credential_validity_period', 'validUntil must not be before validFrom', { path: 'validUntil' });
    // A did:web key publishes its validity, and verifiers (Sello's `issuer_key` check) want
    // it valid at validFrom: a credential dated before its signing key would never verify.
    if (issuer.didMethod === 'web' && validFrom && validFrom < currentKey.validFrom) {
      refuse('invalid_credential_date', `validFrom is before the issuer's current key became valid (${currentKey.validFrom.toISOString()}); such a credential would not verify`, {
        path: 'validFrom',
        keyValidFrom: currentKey.validFrom.toISOString(),
      });
    }

    if (unsigned.credentialStatus === undefined) {
      const type = options.credentialStatus?.type ?? 'BitstringStatusListEntry';
      if (type !== 'BitstringStatusListEntry') optionProblem(`Sello's credential status is BitstringStatusListEntry, not ${type}`, 'credentialStatus');
      const status = await allocateRevocationEntry({ db: tx, issuerId: issuer.id, issuerDid: key.controller, credentialId: recordId, publicUrl });
      unsigned.credentialStatus = statusEntryJson(status.entry);
    }

    if (ob) {
      const schema = validateOb3Schema(unsigned);
      if (!schema.valid) refuse('invalid_open_badge_credential', `The official OB 3.0 schema refuses the credential: ${schema.errors[0]}`, { errors: schema.errors });
    }
    const document = await signCredential({ credential: unsigned, key, documentLoader: sharedLoader, now: created });
    const hash = credentialHash(document);
    const stored = await credentials.insert({
      id: recordId,
      hash,
      document,
      issuerId: issuer.id,
      achievementId,
      recipientUserId: options.recipient?.userId ?? null,
      validFrom: validFrom ?? created,
      validUntil: validUntil ?? null,
    });
    if (stored) return stored;
    // The same request again within the proof's second (`created` has no finer part): a
    // credential with its own credentialStatus and no urn:uuid id gets nothing of Sello's
    // that sets the two apart, and Ed25519 signs the same bytes the same way. Sello
    // already issued exactly this credential: the answer is that one, as a stateless
    // issuer's would be (the W3C VC 2.0 suite's status tests issue one twice in a row).
    // Only when Sello's record of it is the one this request asks for: the recipient and
    // the achievement row are not in the document, and the record of another recipient
    // returned as this one's would tell the caller it was bound to a user it is not.
    const same = await credentials.findByHash(hash);
    const recipientUserId = options.recipient?.userId ?? null;
    if (same && same.issuerId === issuer.id && same.achievementId === achievementId && same.recipientUserId === recipientUserId) return same;
    if (same) {
      refuse('credential_id_conflict', 'Sello already issued this very credential (the same signed document) for another recipient or achievement; change the credential (an id, validFrom, options.created) to issue another');
    }
    refuse('credential_id_conflict', `Sello already issued a credential with the id ${recordId}`, { id: recordId });
  });
}

/**
 * An OB 3.0 credential's subject: the achievement (`options.achievementId` when the
 * subject has none) and the recipient (`options.recipient` fills what the subject leaves
 * out). OB 3.0 needs `credentialSubject.id` or an `identifier`: a hashed IdentityObject
 * alone is a recipient. Returns the achievement's row (found again by its `id`).
 */
async function completeAchievementSubject(context: {
  tx: Queryable;
  params: IssueSubmittedCredentialParameters;
  issuer: Issuer;
  unsigned: Record<string, unknown>;
  achievementOption: Achievement | null;
}): Promise<string | null> {
  const { tx, params, issuer, unsigned, achievementOption } = context;
  const subject = unsigned.credentialSubject;
  if (!isObject(subject)) refuse('invalid_credential_subject', 'An OB 3.0 credential has one credentialSubject object (an AchievementSubject)', { path: 'credentialSubject' });
  const recipient = params.options.recipient ?? {};
  if (subject.id === undefined && recipient.did) subject.id = recipient.did;
  if (subject.name === undefined && recipient.name) subject.name = recipient.name;
  if (subject.identifier === undefined && recipient.email) subject.identifier = [hashedEmailIdentity({ email: recipient.email })];
  const identifiers = subject.identifier === undefined ? [] : Array.isArray(subject.identifier) ? subject.identifier : [subject.identifier];
  if (subject.id === undefined && identifiers.length === 0) {
    refuse('invalid_credential_subject', 'OB 3.0 needs credentialSubject.id or an identifier (e.g. a hashed IdentityObject); or give options.recipient', {
      path: 'credentialSubject',
    });
  }

  if (subject.achievement === undefined && achievementOption) {
    subject.achievement = buildAchievement(achievementInput(achievementOption, issuer.name, params.publicUrl));
    return achievementOption.id;
  }
  const described = subject.achievement;
  if (!isObject(described) || typeof described.id !== 'string') return null;
  if (achievementOption) return achievementOption.id;
  const own = await storedAchievement(tx, params.publicUrl, described.id);
  if (own && own.issuerId === issuer.id) return own.id;
  // A described achievement is recorded once per issuer, by its id, and found again after.
  const row = await createAchievementRepository(tx).findOrCreateByExternalId(described.id, describedAchievementRow(described, issuer.id));
  return row.id;
}

/** The library row of an achievement a caller described (OB 3.0 `Achievement` JSON). */
function describedAchievementRow(described: Record<string, unknown>, issuerId: string): AchievementInput {
  const criteria = isObject(described.criteria) ? described.criteria : {};
  const image = isObject(described.image) ? described.image.id : described.image;
  return {
    issuerId,
    name: typeof described.name === 'string' ? described.name.slice(0, 300) : String(described.id ?? 'Achievement'),
    description: typeof described.description === 'string' ? described.description : '',
    imageUrl: typeof image === 'string' ? image : null,
    criteriaNarrative: typeof criteria.narrative === 'string' ? { en: criteria.narrative } : {},
    achievementType: typeof described.achievementType === 'string' ? described.achievementType : 'Badge',
    createdBy: 'admin:vc-api',
  };
}

/**
 * Sello's own shape: `options.achievementId` (a stored achievement) or an achievement
 * described in `credential.credentialSubject.achievement` (found again by its `id`),
 * for `options.recipient` (or the subject's `id` / `name`).
 */
async function issueSelloShape(params: IssueSubmittedCredentialParameters): Promise<StoredCredential> {
  const { db, options } = params;
  for (const vcApiOnly of ['created', 'credentialStatus'] as const) {
    if (options[vcApiOnly] !== undefined) optionProblem(`options.${vcApiOnly} applies to a submitted VC 2.0 credential (with @context)`, vcApiOnly);
  }
  if (options.credentialId !== undefined && !UUID_ID.test(options.credentialId)) {
    optionProblem('options.credentialId of Sello\'s own request shape is a urn:uuid (it is also the idempotency key)', 'credentialId');
  }
  let achievement = options.achievementId ? await storedAchievement(db, params.publicUrl, options.achievementId) : null;
  if (options.achievementId && !achievement) refuse('achievement_not_found', 'No achievement with this id', { achievementId: options.achievementId });
  const subject = isObject(params.credential?.credentialSubject) ? params.credential.credentialSubject : {};
  const described = isObject(subject.achievement) ? subject.achievement : null;
  if (!achievement && !described) {
    refuse('invalid_credential', 'Give options.achievementId, credential.credentialSubject.achievement, or a whole VC 2.0 credential (with @context)');
  }
  if (described && (typeof described.name !== 'string' || described.name.length === 0)) {
    refuse('invalid_credential_subject', 'A described achievement needs a name', { path: 'credentialSubject.achievement.name' });
  }
  const recipient: RecipientOption = { ...(options.recipient ?? {}) };
  if (typeof subject.id === 'string' && !recipient.did) recipient.did = subject.id;
  if (typeof subject.name === 'string' && !recipient.name) recipient.name = subject.name;
  if (!recipient.email && !recipient.did) {
    refuse('invalid_credential_subject', 'The recipient needs an email (options.recipient.email) or a DID; or send a whole OB 3.0 credential whose subject has a hashed identifier', {
      path: 'options.recipient',
    });
  }
  const validFrom = options.validFrom ? new Date(options.validFrom) : undefined;
  const validUntil = options.validUntil ? new Date(options.validUntil) : undefined;
  return db.transaction(async (tx) => {
    if (!achievement) {
      const input = describedAchievementRow(described!, params.defaultIssuerId);
      const own = typeof described!.id === 'string' ? await storedAchievement(tx, params.publicUrl, described!.id) : null;
      achievement =
        own && own.issuerId === params.defaultIssuerId
          ? own
          : typeof described!.id === 'string'
            ? await createAchievementRepository(tx).findOrCreateByExternalId(described!.id, input)
            : await createAchievementRepository(tx).create(input);
    }
    return issueCredential({
      db: tx,
      keys: params.keys,
      publicUrl: params.publicUrl,
      chainReference: params.chainReference,
      now: params.now,
      issuerId: achievement.issuerId,
      achievement,
      recipient,
      evidence: options.evidence,
      validFrom,
      validUntil,
      credentialId: options.credentialId,
    });
  });
}
