/**
 * Builds an unsigned OB 3.0 `OpenBadgeCredential`
 * (https://www.imsglobal.org/spec/ob/v3p0/#achievementcredential) on the VC Data
 * Model 2.0 (https://www.w3.org/TR/vc-data-model-2.0/). Every property used is defined
 * by the VC v2 or OB 3.0.3 context: an undefined one would make signing fail.
 */
import crypto from 'node:crypto';
import { OB_V3_CONTEXT, OB_V3_EXTENSIONS_CONTEXT, OB_V3_SCHEMA_URL, VC_V2_CONTEXT } from './contexts.ts';
import { chainReferenceIdentifier, type ChainReference } from './chain-reference.ts';
import { hashedEmailIdentity } from './recipient-identifier.ts';

export interface IssuerProfileInput {
  /** The issuer DID (did:web or did:key). */
  id: string;
  name: string;
  url?: string | null;
  email?: string | null;
  image?: string | null;
  description?: string | null;
}

export interface AlignmentInput {
  targetName: string;
  targetUrl: string;
  targetDescription?: string;
  targetFramework?: string;
  targetCode?: string;
  targetType?: string;
}

export interface AchievementInput {
  /** A URI for the achievement (Sello uses `<PUBLIC_URL>/achievements/<uuid>`). */
  id: string;
  name: string;
  description: string;
  criteria: { narrative?: string; id?: string };
  /** URL or data: URL of the badge image. */
  image?: string | null;
  achievementType?: string;
  alignment?: AlignmentInput[];
  tag?: string[];
  inLanguage?: string;
}

export interface RecipientInput {
  /** The learner's DID, when known: becomes `credentialSubject.id`. */
  did?: string | null;
  /** Hashed and salted into an IdentityObject. */
  email?: string | null;
  /** Shown by wallets as "Issued to". */
  name?: string | null;
}

export interface EvidenceInput {
  id?: string;
  name?: string;
  narrative?: string;
  description?: string;
  genre?: string;
  audience?: string;
}

export interface StatusEntryInput {
  statusListCredential: string;
  statusListIndex: number;
  statusPurpose: 'revocation' | 'suspension';
}

export interface BuildCredentialParameters {
  /** `urn:uuid:…`; a fresh one when absent. */
  id?: string;
  issuer: IssuerProfileInput;
  achievement: AchievementInput;
  recipient: RecipientInput;
  validFrom: Date;
  validUntil?: Date | null;
  evidence?: EvidenceInput[];
  status?: StatusEntryInput | null;
  chainReference?: ChainReference | null;
  /** Salt for the email hash (tests fix it; default random). */
  salt?: string;
}

/** Drops `undefined`, `null` and empty strings so the JSON-LD stays clean. */
function compact<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined && v !== null && v !== '')) as T;
}

/** XSD dateTime without milliseconds, as every OB 3.0 example writes it. */
export function toXsdDateTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The OB 3.0 `Achievement` (https://www.imsglobal.org/spec/ob/v3p0/#achievement) as JSON-LD. */
export function buildAchievement(achievement: AchievementInput): Record<string, unknown> {
  return compact({
    id: achievement.id,
    type: ['Achievement'],
    name: achievement.name,
    description: achievement.description,
    criteria: compact({ id: achievement.criteria.id, narrative: achievement.criteria.narrative }),
    image: achievement.image ? { id: achievement.image, type: 'Image' } : undefined,
    achievementType: achievement.achievementType,
    alignment:
      achievement.alignment && achievement.alignment.length > 0 ? achievement.alignment.map((a) => compact({ type: ['Alignment'], ...a })) : undefined,
    tag: achievement.tag && achievement.tag.length > 0 ? achievement.tag : undefined,
    inLanguage: achievement.inLanguage,
  });
}

/** The issuer as an OB 3.0 `Profile` (https://www.imsglobal.org/spec/ob/v3p0/#profile), with the chain reference. */
export function buildIssuerProfile(issuer: IssuerProfileInput, chainReference?: ChainReference | null): Record<string, unknown> {
  return compact({
    id: issuer.id,
    type: ['Profile'],
    name: issuer.name,
    url: issuer.url,
    email: issuer.email,
    description: issuer.description,
    image: issuer.image ? { id: issuer.image, type: 'Image' } : undefined,
    otherIdentifier: chainReference ? [chainReferenceIdentifier(chainReference)] : undefined,
  });
}

/**
 * Builds the unsigned credential.
 *
 * @throws TypeError when neither a recipient DID nor an email is given (OB 3.0 needs
 *   `credentialSubject.id` or an `identifier`), or the dates are inverted.
 */
export function buildAchievementCredential(params: BuildCredentialParameters): Record<string, unknown> {
  const { issuer, achievement, recipient } = params;
  if (!recipient.did && !recipient.email) {
    throw new TypeError('A credential needs the recipient DID or email (OB 3.0 AchievementSubject)');
  }
  if (params.validUntil && params.validUntil.getTime() <= params.validFrom.getTime()) {
    throw new TypeError('validUntil must be after validFrom');
  }
  const credential: Record<string, unknown> = compact({
    '@context': [VC_V2_CONTEXT, OB_V3_CONTEXT, OB_V3_EXTENSIONS_CONTEXT],
    id: params.id ?? `urn:uuid:${crypto.randomUUID()}`,
    type: ['VerifiableCredential', 'OpenBadgeCredential'],
    name: achievement.name,
    issuer: buildIssuerProfile(issuer, params.chainReference),
    validFrom: toXsdDateTime(params.validFrom),
    validUntil: params.validUntil ? toXsdDateTime(params.validUntil) : undefined,
    credentialSubject: compact({
      id: recipient.did,
      type: ['AchievementSubject'],
      name: recipient.name,
      identifier: recipient.email ? [hashedEmailIdentity({ email: recipient.email, salt: params.salt })] : undefined,
      achievement: buildAchievement(achievement),
    }),
    evidence:
      params.evidence && params.evidence.length > 0 ? params.evidence.map((e) => compact({ type: ['Evidence'], ...e })) : undefined,
    // The type the OB 3.0 spec names; defined by the extensions context above.
    credentialSchema: [{ id: OB_V3_SCHEMA_URL, type: '1EdTechJsonSchemaValidator2019' }],
    credentialStatus: params.status
      ? {
          id: `${params.status.statusListCredential}#${params.status.statusListIndex}`,
          type: 'BitstringStatusListEntry',
          statusPurpose: params.status.statusPurpose,
          statusListIndex: String(params.status.statusListIndex),
          statusListCredential: params.status.statusListCredential,
        }
      : undefined,
  });
  return credential;
}
