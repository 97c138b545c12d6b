/**
 * The VC Data Model 2.0 rules a credential's JSON must follow before anyone signs or
 * trusts it (https://www.w3.org/TR/vc-data-model-2.0/#basic-concepts), checked on the
 * JSON itself: what JSON-LD processing cannot see (a first context that is not the VC v2
 * one, an `issuer` that is not a URL, a `validUntil` before `validFrom`, an empty
 * subject). Terms no context defines are JSON-LD's finding (`credential_jsonld_invalid`
 * at signing, `signature` at verification), not this module's.
 *
 * Pure: no I/O. Used by `POST /credentials/issue` (each problem is a 400 with its code)
 * and by verification's `schema` check for credentials that are not Open Badges.
 */
import { VC_V2_CONTEXT } from './contexts.ts';

const VC_V1_CONTEXT = 'https://www.w3.org/2018/credentials/v1';

/** One code per kind of problem; every one ends in `_invalid`-style 400 naming (`invalid_*`). */
export type VcDataModelProblemCode =
  | 'invalid_credential_context'
  | 'invalid_credential_id'
  | 'invalid_credential_type'
  | 'invalid_credential_issuer'
  | 'invalid_credential_subject'
  | 'invalid_credential_date'
  | 'invalid_credential_validity_period'
  | 'invalid_credential_status'
  | 'invalid_credential_property'
  | 'invalid_credential_proof';

export interface VcDataModelProblem {
  code: VcDataModelProblemCode;
  /** JSON path of the offending value, e.g. `credentialSubject[0].id`. */
  path: string;
  message: string;
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => !!value && typeof value === 'object' && !Array.isArray(value);

/**
 * A URL as VC 2.0 §4.4 means it (https://www.w3.org/TR/vc-data-model-2.0/#identifiers):
 * an absolute URL with a scheme (`https:`, `did:`, `urn:`), parsed by the URL Standard.
 */
export function isAbsoluteUrl(value: unknown): value is string {
  return typeof value === 'string' && /^[a-z][a-z0-9+.-]*:\S+$/i.test(value) && URL.canParse(value);
}

/**
 * An XML Schema `dateTimeStamp` (a dateTime with its time zone), which VC 2.0 §4.9
 * requires of `validFrom` / `validUntil`; parsed, so `2024-02-30T…` is refused too.
 */
export function parseDateTimeStamp(value: unknown): Date | null {
  if (typeof value !== 'string') return null;
  const match = /^(-?\d{4,})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.exec(value);
  if (!match) return null;
  const [, year, month, day, hour, minute, second] = match.map(Number) as number[];
  if (month! < 1 || month! > 12 || day! < 1 || hour! > 23 || minute! > 59 || second! > 59) return null;
  // The day must exist in that month (Date.UTC would roll 30 February into March).
  if (day! > new Date(Date.UTC(year!, month!, 0)).getUTCDate()) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : [value]);

/** `name` / `description`: a string, a language value object, or a list of them (VC 2.0 §4.6). */
function isLanguageValue(value: unknown): boolean {
  if (typeof value === 'string') return true;
  if (!isObject(value) || typeof value['@value'] !== 'string') return false;
  return Object.keys(value).every((key) => ['@value', '@language', '@direction'].includes(key));
}

function typesOf(value: Json): unknown[] | null {
  if (value.type === undefined) return null;
  return asList(value.type);
}

/**
 * Every problem the credential's JSON has under the VC Data Model 2.0, in document
 * order; an empty list when it follows the model. The credential is the unsigned one
 * being issued unless `signed` is set (then a `proof` is expected, not refused).
 *
 * @see https://www.w3.org/TR/vc-data-model-2.0/#contexts (§4.3) … #securing-mechanisms (§4.12)
 */
export function vcDataModelProblems(credential: unknown, options: { signed?: boolean } = {}): VcDataModelProblem[] {
  const problems: VcDataModelProblem[] = [];
  const problem = (code: VcDataModelProblemCode, path: string, message: string) => problems.push({ code, path, message });
  if (!isObject(credential)) {
    problem('invalid_credential_type', '', 'A credential is a JSON object');
    return problems;
  }

  // §4.3 Contexts: an ordered set whose first item is the VC v2 context URL; then URLs or objects.
  const context = credential['@context'];
  if (context === undefined) problem('invalid_credential_context', '@context', '@context is required');
  else {
    const contexts = asList(context);
    if (contexts[0] === VC_V1_CONTEXT) {
      // Open Badges 3.0 is built on VC 2.0; Sello issues and verifies that version only.
      problem('invalid_credential_context', '@context[0]', `This is a VC Data Model 1.1 credential; Sello issues and verifies VC 2.0 only (first @context ${VC_V2_CONTEXT}, validFrom instead of issuanceDate)`);
    } else if (contexts[0] !== VC_V2_CONTEXT) problem('invalid_credential_context', '@context[0]', `The first @context must be ${VC_V2_CONTEXT}`);
    contexts.forEach((item, index) => {
      if (!isAbsoluteUrl(item) && !isObject(item)) problem('invalid_credential_context', `@context[${index}]`, 'Each @context item must be a URL or an object');
    });
  }

  // §4.4 Identifiers.
  if (credential.id !== undefined && !isAbsoluteUrl(credential.id)) problem('invalid_credential_id', 'id', 'id must be a single URL');

  // §4.5 Types.
  const types = typesOf(credential);
  if (!types) problem('invalid_credential_type', 'type', 'type is required');
  else {
    if (!types.includes('VerifiableCredential')) problem('invalid_credential_type', 'type', 'type must include VerifiableCredential');
    if (types.some((type) => typeof type !== 'string' || type === '')) problem('invalid_credential_type', 'type', 'Each type is a term or a URL string');
  }

  // §4.6 Names and descriptions.
  for (const key of ['name', 'description']) {
    const value = credential[key];
    if (value !== undefined && !asList(value).every(isLanguageValue)) {
      problem('invalid_credential_property', key, `${key} must be a string or a language value object ({"@value", "@language"})`);
    }
  }

  // §4.7 Issuer (absent is the issuing service's to fill; present, it must be right).
  const issuer = credential.issuer;
  if (issuer !== undefined) {
    if (isObject(issuer)) {
      if (!isAbsoluteUrl(issuer.id)) problem('invalid_credential_issuer', 'issuer.id', 'An issuer object needs an id that is a URL');
    } else if (!isAbsoluteUrl(issuer)) problem('invalid_credential_issuer', 'issuer', 'issuer must be a URL or an object with a URL id');
  } else if (options.signed) problem('invalid_credential_issuer', 'issuer', 'issuer is required');

  // §4.8 Credential subject: one or more objects, each holding claims.
  const subject = credential.credentialSubject;
  if (subject === undefined) problem('invalid_credential_subject', 'credentialSubject', 'credentialSubject is required');
  else {
    const subjects = asList(subject);
    if (subjects.length === 0) problem('invalid_credential_subject', 'credentialSubject', 'credentialSubject must hold at least one subject');
    subjects.forEach((item, index) => {
      const path = Array.isArray(subject) ? `credentialSubject[${index}]` : 'credentialSubject';
      if (!isObject(item) || Object.keys(item).length === 0) problem('invalid_credential_subject', path, 'Each subject is an object with at least one claim');
      else if (item.id !== undefined && !isAbsoluteUrl(item.id)) problem('invalid_credential_subject', `${path}.id`, 'A subject id must be a URL');
    });
  }

  // §4.9 Validity period.
  const from = credential.validFrom === undefined ? undefined : parseDateTimeStamp(credential.validFrom);
  const until = credential.validUntil === undefined ? undefined : parseDateTimeStamp(credential.validUntil);
  if (from === null) problem('invalid_credential_date', 'validFrom', 'validFrom must be an XML Schema dateTimeStamp (e.g. 2026-01-15T10:00:00Z)');
  if (until === null) problem('invalid_credential_date', 'validUntil', 'validUntil must be an XML Schema dateTimeStamp (e.g. 2027-01-15T10:00:00Z)');
  if (from && until && until.getTime() < from.getTime()) {
    problem('invalid_credential_validity_period', 'validUntil', 'validUntil must not be before validFrom');
  }

  // §4.10 Status, §4.11 Data schemas, §5.x evidence, terms of use, refresh: typed objects.
  const typedObjects: Array<[key: string, code: VcDataModelProblemCode, idRequired: boolean]> = [
    ['credentialStatus', 'invalid_credential_status', false],
    ['credentialSchema', 'invalid_credential_property', true],
    ['evidence', 'invalid_credential_property', false],
    ['termsOfUse', 'invalid_credential_property', false],
    ['refreshService', 'invalid_credential_property', false],
  ];
  for (const [key, code, idRequired] of typedObjects) {
    if (credential[key] === undefined) continue;
    asList(credential[key]).forEach((item, index) => {
      const path = Array.isArray(credential[key]) ? `${key}[${index}]` : key;
      if (!isObject(item)) return problem(code, path, `Each ${key} is an object`);
      const itemTypes = typesOf(item);
      if (!itemTypes || itemTypes.length === 0 || itemTypes.some((type) => typeof type !== 'string')) problem(code, `${path}.type`, `Each ${key} needs a type`);
      if (idRequired ? !isAbsoluteUrl(item.id) : item.id !== undefined && !isAbsoluteUrl(item.id)) problem(code, `${path}.id`, `A ${key} id must be a URL`);
    });
  }

  // §5.3 Integrity of related resources: each one a URL, unique in the list, with a digest.
  if (credential.relatedResource !== undefined) {
    const seen = new Set<string>();
    asList(credential.relatedResource).forEach((item, index) => {
      const path = `relatedResource[${index}]`;
      if (!isObject(item) || !isAbsoluteUrl(item.id)) problem('invalid_credential_property', path, 'Each relatedResource needs an id that is a URL');
      else if (seen.has(item.id)) problem('invalid_credential_property', `${path}.id`, `Each relatedResource id must be unique in the list; ${item.id} is there twice`);
      else if (item.digestSRI === undefined && item.digestMultibase === undefined) problem('invalid_credential_property', path, 'Each relatedResource needs digestSRI or digestMultibase');
      if (isObject(item) && typeof item.id === 'string') seen.add(item.id);
    });
  }

  // The issuer adds the proof (VC API: the credential is sent without one).
  if (!options.signed && credential.proof !== undefined) problem('invalid_credential_proof', 'proof', 'Send the credential without a proof: the issuer adds it');
  return problems;
}

/** True when the credential says it is an Open Badges 3.0 credential (its schema then applies). */
export function isOpenBadgeCredential(credential: unknown): boolean {
  if (!isObject(credential)) return false;
  const types = typesOf(credential) ?? [];
  return types.includes('OpenBadgeCredential') || types.includes('AchievementCredential');
}
