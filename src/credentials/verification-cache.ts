/**
 * Remembers verification reports of stored credentials so that a public page view does
 * not re-run the whole verification (JSON-LD canonicalization, signature, status list)
 * every time: issue 13 measured 47–182 ms per view against 2 ms for the home page.
 *
 * An entry is reused only while both hold:
 * - its fingerprint is unchanged: the caller folds into it every stored fact that can
 *   change the answer (the credential's status bits, its anchoring batch, the issuer's
 *   DID document, so a revoked or rotated key counts);
 * - its deadline has not passed: the caller sets it no later than the next instant the
 *   clock alone changes the answer (validFrom in the future, validUntil), and never later
 *   than `ttlMs` from now, which bounds how stale facts read from outside (the chain) can be.
 */
export interface VerificationCache<T> {
  /** The cached value for `key` when its fingerprint matches and its deadline is ahead. */
  get(key: string, fingerprint: string): T | undefined;
  /** Stores `value` until `until` (capped at now + ttlMs). */
  set(key: string, fingerprint: string, value: T, until?: Date | null): void;
  /** Forgets everything (tests, key rotation hooks). */
  clear(): void;
  readonly size: number;
}

export interface VerificationCacheOptions {
  /** Upper bound on an entry's life; default 60 s. */
  ttlMs?: number;
  /** Oldest entries are dropped beyond this; default 1000. */
  maxEntries?: number;
  now?: () => Date;
}

/** An in-memory cache of verification results (one per process; see the module comment). */
export function createVerificationCache<T>(options: VerificationCacheOptions = {}): VerificationCache<T> {
  const ttlMs = options.ttlMs ?? 60_000;
  const maxEntries = options.maxEntries ?? 1000;
  const now = () => (options.now?.() ?? new Date()).getTime();
  const entries = new Map<string, { fingerprint: string; value: T; expiresAt: number }>();
  return {
    get(key, fingerprint) {
      const entry = entries.get(key);
      if (!entry) return undefined;
      if (entry.fingerprint !== fingerprint || now() >= entry.expiresAt) {
        entries.delete(key);
        return undefined;
      }
      return entry.value;
    },
    set(key, fingerprint, value, until) {
      const cap = now() + ttlMs;
      const expiresAt = until ? Math.min(until.getTime(), cap) : cap;
      if (expiresAt <= now()) return;
      entries.delete(key);
      entries.set(key, { fingerprint, value, expiresAt });
      while (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
    },
    clear() {
      entries.clear();
    },
    get size() {
      return entries.size;
    },
  };
}
