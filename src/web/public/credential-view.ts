/**
 * What the public credential page and the `/verify` report show: a verification report
 * turned into a state (valid, anchoring pending, revoked, suspended, expired, invalid),
 * one plain-language line per check in the page's language, and the credential's own
 * content (achievement, criteria, alignments, tags, evidence) read defensively, since
 * `/verify` also shows credentials of other Open Badges 3.0 issuers.
 */
import { hasTranslation, translate, type Locale } from '../i18n.ts';
import type { VerificationCheck, VerificationReport } from '../../credentials/verify.ts';

export type CredentialState = 'valid' | 'pending' | 'revoked' | 'suspended' | 'expired' | 'invalid';

/** The page's state from the report; `anchoringPending` comes from Sello's own records. */
export function credentialState(report: VerificationReport, anchoringPending: boolean): CredentialState {
  const failed = (id: string, ...errors: string[]) => report.checks.some((check) => check.id === id && !check.valid && errors.includes(check.error ?? ''));
  if (failed('status', 'revoked') || failed('anchored_on_chain', 'revoked_on_chain')) return 'revoked';
  if (failed('status', 'suspended')) return 'suspended';
  if (failed('validity_period', 'expired')) return 'expired';
  if (report.verified) {
    const pendingAnchor = report.checks.some((check) => check.id === 'anchored_on_chain' && check.error === 'anchoring_pending');
    return pendingAnchor ? 'pending' : 'valid';
  }
  return anchoringPending ? 'pending' : 'invalid';
}

/**
 * One line per check: what passed, why it failed, or why it did not apply, never a raw
 * code. The specific line for the error code when there is one, else the check's
 * generic line, so a code added later still reads as a sentence.
 */
export function explainChecks(report: VerificationReport, locale: Locale, anchoringPending: boolean) {
  return report.checks.map((check: VerificationCheck) => {
    const label = translate(locale, `cred.check.${check.id}`);
    const pending = check.id === 'anchored_on_chain' && (check.error === 'anchoring_pending' || (anchoringPending && check.error === 'not_anchored'));
    // ◷, not the hourglass emoji: Linux desktops without an emoji font (DejaVu only) drew that as an empty box.
    if (pending) return { id: check.id, mark: '◷', state: 'pending', stateText: translate(locale, 'cred.state_text.pending'), label, explanation: translate(locale, 'cred.anchor.pending_check') };
    const state = check.skipped ? 'skipped' : check.valid ? 'ok' : 'bad';
    const first = (...keys: string[]) => translate(locale, keys.find((key) => hasTranslation(key)) ?? keys[keys.length - 1]!);
    const explanation =
      state === 'ok'
        ? first(`cred.ok.${check.id}`)
        : state === 'skipped'
          ? first(`cred.skip.${check.error ?? ''}`, `cred.skip.${check.id}`, 'cred.skip.generic')
          : first(`cred.error.${check.error ?? ''}`, `cred.fail.${check.id}`, 'cred.fail.generic');
    return { id: check.id, mark: state === 'ok' ? '✓' : state === 'bad' ? '✗' : '–', state, stateText: translate(locale, `cred.state_text.${state}`), label, explanation };
  });
}

/**
 * The achievement's type as a word of the page: OB 3.0's `achievementType` values have one
 * in each language (`iss.type.*`, the editor's list); an `ext:` type or one from another
 * issuer is shown as the credential says it.
 */
export function achievementTypeLabel(type: string | null, locale: Locale): string | null {
  if (type === null) return null;
  return hasTranslation(`iss.type.${type}`) ? translate(locale, `iss.type.${type}`) : type;
}

/** `Intl.DateTimeFormat` in the page's language (UTC, so every reader sees the same day). */
export function formatDate(value: unknown, locale: Locale): string | null {
  if (typeof value !== 'string' && !(value instanceof Date)) return null;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return null;
  return new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeZone: 'UTC' }).format(date);
}

const asObject = (value: unknown): Record<string, unknown> => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {});
const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : value === undefined || value === null ? [] : [value]);
const asText = (value: unknown): string | null => (typeof value === 'string' && value.trim() !== '' ? value : null);
/** Only http(s) links reach an href: a credential from anywhere must not inject `javascript:`. */
export const safeUrl = (value: unknown): string | null => {
  const text = asText(value);
  return text && /^https?:\/\//i.test(text) ? text : null;
};
const imageOf = (value: unknown): string | null => {
  const id = typeof value === 'string' ? value : asText(asObject(value).id);
  return id && (/^https?:\/\//i.test(id) || /^data:image\/(png|svg\+xml|jpeg|gif|webp);base64,/i.test(id)) ? id : null;
};

/** The credential's content as the page shows it. */
export function credentialContent(document: Record<string, unknown>) {
  const subject = asObject(Array.isArray(document.credentialSubject) ? document.credentialSubject[0] : document.credentialSubject);
  const achievement = asObject(subject.achievement);
  const issuer = asObject(document.issuer);
  return {
    achievementName: asText(achievement.name) ?? asText(document.name) ?? 'Badge',
    achievementDescription: asText(achievement.description) ?? '',
    achievementType: asText(achievement.achievementType),
    criteria: asText(asObject(achievement.criteria).narrative) ?? '',
    criteriaUrl: safeUrl(asObject(achievement.criteria).id),
    image: imageOf(achievement.image),
    recipientName: asText(subject.name),
    issuerName: asText(issuer.name) ?? '',
    issuerUrl: safeUrl(issuer.url),
    issuerImage: imageOf(issuer.image),
    issuerId: asText(issuer.id) ?? asText(document.issuer) ?? '',
    tags: asArray(achievement.tag).filter((tag): tag is string => typeof tag === 'string'),
    alignments: asArray(achievement.alignment)
      .map(asObject)
      .map((a) => ({ name: asText(a.targetName) ?? asText(a.targetCode) ?? '', url: safeUrl(a.targetUrl), framework: asText(a.targetFramework), code: asText(a.targetCode) }))
      .filter((a) => a.name !== ''),
    evidence: asArray(document.evidence)
      .map(asObject)
      .map((e) => ({ name: asText(e.name) ?? asText(e.id) ?? '', url: safeUrl(e.id), narrative: asText(e.narrative) ?? asText(e.description) }))
      .filter((e) => e.name !== '' || e.narrative),
  };
}
