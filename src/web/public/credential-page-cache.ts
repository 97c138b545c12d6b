/**
 * The rendered public credential pages, kept per credential, locale and fingerprint (one
 * digest of every stored fact the page shows, `storage/credential-page-fingerprint.ts`):
 * a page is reused until its fingerprint changes or the clock reaches the credential's
 * validFrom or validUntil. A page nobody has yet is rendered once however many views ask
 * at the same moment (50 clients opening a just-shared link verify it once). What only the
 * chain knows is not in the fingerprint, so a page verified more than a minute ago is
 * verified again in the background, one page at a time, while views go on getting the
 * page they had (a cohort's pages all come of age together; verifying them all at once
 * would stall every view behind them).
 */
import type { Logger } from '../../logger.ts';
import type { CredentialPageFingerprint } from '../../storage/credential-page-fingerprint.ts';
import type { VerificationCache } from '../../credentials/verification-cache.ts';
import type { Locale } from '../i18n.ts';
import type { RenderedCredentialPage } from '../credential-routes.ts';

/** How long a page's verification is trusted for what only the chain knows. */
const REVERIFY_AFTER_MS = 60_000;

/** The next instant at which the clock alone changes a page: its validFrom or validUntil, when still ahead. */
export function nextClockChange(current: CredentialPageFingerprint, now: Date): Date | null {
  const ahead = [current.validFrom, current.validUntil]
    .map((value) => (value === null ? Number.NaN : new Date(value).getTime()))
    .filter((time) => !Number.isNaN(time) && time > now.getTime());
  return ahead.length > 0 ? new Date(Math.min(...ahead)) : null;
}

export function createCredentialPageCache(options: {
  pages: VerificationCache<RenderedCredentialPage>;
  /** Renders the page everyone sees; `again` verifies anew instead of reusing a cached report. */
  render: (current: CredentialPageFingerprint, locale: Locale, again: boolean) => Promise<RenderedCredentialPage>;
  now: () => Date;
  log: Logger;
}) {
  const { pages, render, now, log } = options;
  const rendering = new Map<string, Promise<RenderedCredentialPage>>();

  const renderOnce = (current: CredentialPageFingerprint, locale: Locale, again: boolean): Promise<RenderedCredentialPage> => {
    const key = `${current.credentialId} ${locale}`;
    // The page shows the clock as it was before rendering: a validFrom or validUntil
    // reached while it renders ends it at once, and a view that comes after that instant
    // does not join it.
    const started = now();
    const until = nextClockChange(current, started);
    const flight = `${key} ${current.fingerprint} ${until?.getTime() ?? ''}`;
    let pending = rendering.get(flight);
    if (!pending) {
      pending = render(current, locale, again)
        .then((page) => {
          pages.set(key, current.fingerprint, page, until);
          return page;
        })
        .finally(() => rendering.delete(flight));
      rendering.set(flight, pending);
    }
    return pending;
  };

  let verifyingAgain: Promise<void> = Promise.resolve();
  const waitingToVerifyAgain = new Set<string>();
  const verifyAgainLater = (current: CredentialPageFingerprint, locale: Locale) => {
    const flight = `${current.credentialId} ${locale} ${current.fingerprint}`;
    if (waitingToVerifyAgain.has(flight)) return;
    waitingToVerifyAgain.add(flight);
    verifyingAgain = verifyingAgain.then(async () => {
      try {
        await renderOnce(current, locale, true);
      } catch (error) {
        log.warn({ err: error, credentialId: current.credentialId }, 'credential page: verifying again failed; the cached page stays');
      } finally {
        waitingToVerifyAgain.delete(flight);
      }
    });
  };

  return {
    /** The page for `current` in `locale`: the cached one (verified again behind it when a minute old), or a new one. */
    pageFor(current: CredentialPageFingerprint, locale: Locale): RenderedCredentialPage | Promise<RenderedCredentialPage> {
      const hit = pages.get(`${current.credentialId} ${locale}`, current.fingerprint);
      if (!hit) return renderOnce(current, locale, false);
      if (now().getTime() - hit.verifiedAt.getTime() >= REVERIFY_AFTER_MS) verifyAgainLater(current, locale);
      return hit;
    },
  };
}
