/**
 * Security headers on every answer of Sello, ltijs's included (issue 10, finding 7):
 *
 * - `X-Content-Type-Options: nosniff` and `Referrer-Policy: strict-origin-when-cross-origin`
 *   (a credential page's URL, which names the credential, never leaves Sello in full;
 *   cross-origin POSTs to the LMS still carry their `Origin`);
 * - HTML pages: a Content-Security-Policy that allows scripts, styles and fonts from Sello
 *   only (no inline script or style anywhere: the views load them from `/static`), images
 *   from Sello, `data:` and `https:` (achievement and issuer images are URLs the issuer
 *   chose), fetches to Sello only;
 * - every other answer (JSON, SVG, PNG, CSS): `default-src 'none'`, so a badge SVG opened
 *   by itself runs nothing and loads nothing, whoever drew it; SVGs also get `sandbox`;
 * - framing: the pages an LMS opens in its frame (`/app/…`, `/lti/…`) may be framed by
 *   Sello and the web origins of the active platforms, nothing else; every other answer
 *   by nothing (`frame-ancestors 'none'`, and `X-Frame-Options: DENY` for old browsers).
 *
 * https://www.w3.org/TR/CSP3/ , https://www.w3.org/TR/CSP3/#directive-frame-ancestors
 */
import type { RequestHandler, Response } from 'express';
import type { Queryable } from '../storage/database.ts';
import { createPlatformRepository, type Platform } from '../storage/platform-repository.ts';
import { platformsOfRequest } from '../lti/platform-registry.ts';
import type { Logger } from '../logger.ts';

/** Paths of the pages an LMS shows inside its frame. */
const LMS_FRAMED = /^\/(?:app|lti)(?:\/|$)/;

export const PAGE_CSP_BASE = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: https:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
];
/** Public pages post only to Sello; LMS pages also post the Deep Linking answer back to the LMS. */
const PUBLIC_FORM_ACTION = "form-action 'self'";
export const DOCUMENT_CSP = "default-src 'none'; frame-ancestors 'none'";
/** Inline styles only: an issuer's own badge SVG may style itself, but never script or load anything. */
export const SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; sandbox";

/**
 * Hosts Canvas Cloud frames its tools from. Its platforms all share the issuer
 * `https://canvas.instructure.com` (and `sso.canvaslms.com` as authorization endpoint),
 * while the page that frames the tool is the institution's `*.instructure.com` host.
 */
const CANVAS_CLOUD_ISSUERS: Record<string, string> = {
  'https://canvas.instructure.com': 'https://*.instructure.com',
  'https://canvas.beta.instructure.com': 'https://*.beta.instructure.com',
  'https://canvas.test.instructure.com': 'https://*.test.instructure.com',
};

function originOf(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return null;
    // Only plain host names and addresses go into the header: a `;` in a host (which URL
    // parsing allows) would otherwise start a directive of its own.
    return /^https?:\/\/(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i.test(parsed.origin) ? parsed.origin : null;
  } catch {
    return null;
  }
}

/**
 * The web origins an active platform shows its pages from: its issuer's and its
 * authorization endpoint's (an LMS serves both from the site its users browse, Moodle's
 * `wwwroot` for one), and for Canvas Cloud the institutions' `*.instructure.com` hosts.
 */
export function platformFrameOrigins(platforms: Array<Pick<Platform, 'iss' | 'authUrl' | 'status'>>): string[] {
  const origins = new Set<string>();
  for (const platform of platforms) {
    if (platform.status !== 'active') continue;
    for (const origin of [originOf(platform.iss), originOf(platform.authUrl)]) {
      if (!origin) continue;
      origins.add(origin);
      if (CANVAS_CLOUD_ISSUERS[origin]) origins.add(CANVAS_CLOUD_ISSUERS[origin]);
    }
  }
  return [...origins].sort();
}

/** The Content-Security-Policy for an answer of `contentType` at `path`. */
export function contentSecurityPolicy({ path, contentType, frameAncestors }: { path: string; contentType: string; frameAncestors: string[] | null }): string {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  if (type === 'image/svg+xml') return SVG_CSP;
  if (type !== 'text/html') return DOCUMENT_CSP;
  const framing = frameAncestors ? `frame-ancestors 'self'${frameAncestors.map((origin) => ` ${origin}`).join('')}` : "frame-ancestors 'none'";
  return [...PAGE_CSP_BASE, ...(LMS_FRAMED.test(path) ? [] : [PUBLIC_FORM_ACTION]), framing].join('; ');
}

/** Runs `apply` just before the status line and headers are written, whoever writes them. */
function beforeHeaders(res: Response, apply: () => void): void {
  const writeHead = res.writeHead;
  let applied = false;
  res.writeHead = function (this: Response, ...args: unknown[]) {
    if (!applied) {
      applied = true;
      apply();
    }
    return (writeHead as (...a: unknown[]) => Response).apply(this, args);
  } as typeof res.writeHead;
}

export interface SecurityHeadersParameters {
  db: Queryable;
  log: Logger;
  /** Further origins allowed to frame the LMS pages (`LTI_FRAME_ANCESTORS`), e.g. a Canvas custom domain. */
  extraFrameAncestors?: readonly string[];
}

/**
 * The middleware, first of the app. The LMS pages' frame ancestors are read from the
 * platforms table at each such request, so an approval or a disabling counts at once;
 * if the database cannot say, only Sello itself may frame them. The OIDC login and launch
 * answering the same request use this read (`platformsOfRequest`).
 */
export function securityHeaders({ db, log, extraFrameAncestors = [] }: SecurityHeadersParameters): RequestHandler {
  const platforms = createPlatformRepository(db);
  return (req, res, next) => {
    const path = req.path;
    const framed = LMS_FRAMED.test(path);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'strict-origin-when-cross-origin');
    if (!framed) res.setHeader('X-Frame-Options', 'DENY');
    const finish = (frameAncestors: string[] | null) => {
      beforeHeaders(res, () => {
        if (res.getHeader('Content-Security-Policy')) return;
        // A 304 has no body and no Content-Type, and a browser merges its headers into the
        // cached answer: a policy made for "no type" would replace the page's own and block
        // its stylesheet and images at every revisit. The cached answer keeps its policy.
        if (res.statusCode === 304) return;
        const contentType = String(res.getHeader('Content-Type') ?? '');
        res.setHeader('Content-Security-Policy', contentSecurityPolicy({ path, contentType, frameAncestors }));
      });
      next();
    };
    if (!framed) return finish(null);
    // The LMS that opens the Dynamic Registration page in its dialog is not active yet:
    // its configuration URL (on its issuer's origin) names it.
    const registering = path === '/lti/register' && typeof req.query.openid_configuration === 'string' ? originOf(req.query.openid_configuration) : null;
    platformsOfRequest(res, platforms)
      .then((list) => finish([...new Set([...platformFrameOrigins(list), ...extraFrameAncestors, ...(registering ? [registering] : [])])]))
      .catch((error: unknown) => {
        log.warn({ err: error }, 'platforms unreadable: LMS pages may be framed by Sello only');
        finish([]);
      });
  };
}
