/**
 * Platform public keys for id_token checks, cached: one fetch of a platform's JWKS
 * serves every launch until it is `ttlMs` old, and a `kid` not in the cache triggers one
 * refetch (key rotation), at most every `cooldownMs` so that made-up key ids cannot make
 * Sello hammer the platform.
 *
 * https://www.imsglobal.org/spec/security/v1p0#h_key-set-url
 */
import type { JWK } from 'jose';
import { assertOutboundFetch, type OutboundFetch } from '../outbound/outbound-fetch.ts';
import { LtiError } from './errors.ts';

export interface PlatformKeySets {
  /**
   * The platform's key with id `kid` (the only key when the token names none and the set
   * has one), or null when the platform does not publish it.
   * @throws LtiError `lti_signature_invalid` when the key set cannot be fetched.
   */
  keyFor(jwksUrl: string, kid: string | undefined): Promise<JWK | null>;
  /** How many times a key set was fetched (tests and figures). */
  readonly fetches: number;
}

export function createPlatformKeySets({
  fetch: fetchImpl,
  ttlMs = 10 * 60_000,
  cooldownMs = 30_000,
  now = () => Date.now(),
}: { fetch: OutboundFetch; ttlMs?: number; cooldownMs?: number; now?: () => number }): PlatformKeySets {
  assertOutboundFetch(fetchImpl, 'The platform key sets');
  const cache = new Map<string, { keys: JWK[]; fetchedAt: number }>();
  let fetches = 0;

  async function refresh(url: string): Promise<JWK[]> {
    fetches += 1;
    let keys: unknown;
    try {
      // A key set holds a few keys: a megabyte is already far more than any LMS publishes.
      const response = await fetchImpl(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(5000), maxResponseBytes: 1024 * 1024 });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      keys = ((await response.json()) as { keys?: unknown }).keys;
    } catch (cause) {
      throw new LtiError('lti_signature_invalid', 'Sello could not fetch the LMS public keys to check the launch', { jwksUrl: url }, { cause });
    }
    if (!Array.isArray(keys)) throw new LtiError('lti_signature_invalid', 'The LMS key set has no keys', { jwksUrl: url });
    cache.set(url, { keys: keys as JWK[], fetchedAt: now() });
    return keys as JWK[];
  }

  const pick = (keys: JWK[], kid: string | undefined) => (kid ? keys.find((key) => key.kid === kid) : keys.length === 1 ? keys[0] : undefined);

  return {
    get fetches() {
      return fetches;
    },
    async keyFor(url, kid) {
      const entry = cache.get(url);
      const keys = entry && now() - entry.fetchedAt < ttlMs ? entry.keys : await refresh(url);
      const found = pick(keys, kid);
      if (found) return found;
      const fetchedAt = cache.get(url)?.fetchedAt ?? 0;
      if (now() - fetchedAt < cooldownMs) return null;
      return pick(await refresh(url), kid) ?? null;
    },
  };
}
