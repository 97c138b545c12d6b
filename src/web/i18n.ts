/**
 * Spanish and English, both first-class. Messages live in `views/locales/{en,es}.json`
 * as flat dotted keys; `{name}` placeholders are filled from `vars`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Request } from 'express';

export const LOCALES = ['en', 'es'] as const;
export type Locale = (typeof LOCALES)[number];

const localesDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'views', 'locales');
const catalogs: Record<Locale, Record<string, string>> = {
  en: JSON.parse(fs.readFileSync(path.join(localesDir, 'en.json'), 'utf8')),
  es: JSON.parse(fs.readFileSync(path.join(localesDir, 'es.json'), 'utf8')),
};

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

/** `es-CR`, `es_419`, `ES` → `es`; anything unknown → null. */
export function toLocale(tag: string | null | undefined): Locale | null {
  const primary = tag?.trim().toLowerCase().split(/[-_]/)[0];
  return isLocale(primary) ? primary : null;
}

/** Translates `key`; falls back to English, then to the key itself (so a gap is visible, not fatal). */
export function translate(locale: Locale, key: string, vars: Record<string, unknown> = {}): string {
  const template = catalogs[locale][key] ?? catalogs.en[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
}

/** True when English (the reference catalog) has `key`: lets a caller pick the most specific message. */
export function hasTranslation(key: string): boolean {
  return key in catalogs.en;
}

/** Every key of a catalog: tests use it to prove en and es have the same keys. */
export function catalogKeys(locale: Locale): string[] {
  return Object.keys(catalogs[locale]).sort();
}

/**
 * The locale for a request: `?lang=` first (and remembered in a cookie), then the
 * `sello_lang` cookie, then the LTI launch's locale when a route set `res.locals.ltiLocale`,
 * then `Accept-Language`, then the deployment default.
 */
export function negotiateLocale(req: Request, fallback: Locale): Locale {
  const fromQuery = toLocale(typeof req.query.lang === 'string' ? req.query.lang : null);
  if (fromQuery) return fromQuery;
  const fromCookie = toLocale((req as Request & { cookies?: Record<string, string> }).cookies?.sello_lang);
  if (fromCookie) return fromCookie;
  const fromLaunch = toLocale(req.res?.locals.ltiLocale as string | undefined);
  if (fromLaunch) return fromLaunch;
  const accepted = req.acceptsLanguages(...LOCALES);
  return accepted && isLocale(accepted) ? accepted : fallback;
}

/**
 * A date and time in the page's language, in UTC so every reader sees the same moment
 * (`29 nov 2026, 10:57 UTC`); empty for a missing or invalid date. The one format of the
 * pages that show a time (admin pages, the course home's last sync); the public pages
 * show the day only (`formatDate` in public/credential-view.ts).
 */
export function formatDateTime(date: Date | string | null | undefined, locale: Locale): string {
  if (!date) return '';
  const value = typeof date === 'string' ? new Date(date) : date;
  if (Number.isNaN(value.getTime())) return '';
  return new Intl.DateTimeFormat(locale === 'es' ? 'es-ES' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }).format(value) + ' UTC';
}

/** A number in the page's language (`1,234.5` / `1234,5`). */
export function formatLocalNumber(value: number, locale: Locale, options: Intl.NumberFormatOptions = {}): string {
  return new Intl.NumberFormat(locale === 'es' ? 'es-ES' : 'en-GB', options).format(value);
}
