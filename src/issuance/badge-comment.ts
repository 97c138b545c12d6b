/**
 * The gradebook comment that carries the badge link back to the LMS, in the course's
 * language (Moodle shows a score's comment as the grade's feedback).
 */
export type CommentLocale = 'en' | 'es';

/** `es`, `es-CR`, `es_419` → `es`; anything else → `en`. */
export function commentLocale(courseLocale: string | null | undefined, fallback: CommentLocale = 'en'): CommentLocale {
  const primary = courseLocale?.toLowerCase().split(/[-_]/)[0];
  return primary === 'es' ? 'es' : primary === 'en' ? 'en' : fallback;
}

export function badgeEarnedComment({ name, url, locale }: { name: string; url: string; locale: CommentLocale }): string {
  return locale === 'es' ? `Insignia obtenida: ${name} — ${url}` : `Badge earned: ${name} — ${url}`;
}

export function badgeRevokedComment({ name, locale }: { name: string; locale: CommentLocale }): string {
  return locale === 'es' ? `Insignia revocada: ${name}` : `Badge revoked: ${name}`;
}

/** Where anyone verifies a credential (the credentials capability's page). */
export function verificationUrl(publicUrl: string, credentialId: string): string {
  return `${publicUrl}/credentials/${encodeURIComponent(credentialId)}`;
}
