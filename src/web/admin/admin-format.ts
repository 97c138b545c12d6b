/** Dates and numbers on the admin pages, in the page's language (never raw ISO strings). */
import type { Locale } from '../i18n.ts';

export function formatAdminDate(date: Date | string | null | undefined, locale: Locale): string {
  if (!date) return '';
  const value = typeof date === 'string' ? new Date(date) : date;
  if (Number.isNaN(value.getTime())) return '';
  return new Intl.DateTimeFormat(locale === 'es' ? 'es-ES' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }).format(value) + ' UTC';
}

export function formatAdminNumber(value: number, locale: Locale): string {
  return new Intl.NumberFormat(locale === 'es' ? 'es-ES' : 'en-GB').format(value);
}
