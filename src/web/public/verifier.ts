/**
 * The verifier page (issue 11: "a verifier for people, without Sello"), built by
 * scripts/build-verifier.mjs into dist/verifier/:
 *
 * - `GET /verifier`: the page, its script and stylesheet as files of their own
 *   (`/verifier/verifier.js`, `/verifier/verifier.css`) so it runs under a CSP without
 *   inline code. It checks credentials in the browser with Sello's own verification code
 *   and reaches the issuer's did:web, status lists and any chain endpoint the user picks,
 *   so its `connect-src` is open to http(s).
 * - `GET /verifier/download`: the same page as one self-contained HTML file, to keep and
 *   open from disk or put on any static host, after this server is gone.
 *
 * Both offer this deployment's chain (`/chain/rpc`) for credentials of that chain.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Router } from 'express';
import { HttpError } from '../../errors.ts';
import { composeVerifierPage, type VerifierAssets } from '../../verifier/compose-page.ts';

const defaultAssetsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'dist', 'verifier');

/** The served page's policy: its own script and style only; fetches to any http(s) origin (DID documents, status lists, RPC). */
export const VERIFIER_PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  'connect-src https: http:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export interface VerifierRouterDependencies {
  publicUrl: string;
  /** The deployment's chain id, offered with its `/chain/rpc`; null when it has none. */
  chainId: () => number | null;
  /** Where the build put the page; `dist/verifier` by default. */
  assetsDir?: string;
}

interface LoadedAssets extends VerifierAssets {
  version: string;
}

export function verifierRouter(deps: VerifierRouterDependencies): Router {
  const router = Router();
  const assetsDir = deps.assetsDir ?? defaultAssetsDir;
  const base = new URL(deps.publicUrl).pathname.replace(/\/+$/, '');
  let loaded: LoadedAssets | null = null;
  // Read once, when first asked: a server started before the build still serves it after.
  const assets = (): LoadedAssets => {
    if (loaded) return loaded;
    try {
      const read = (name: string) => fs.readFileSync(path.join(assetsDir, name), 'utf8');
      const script = read('verifier.js');
      const style = read('verifier.css');
      const version = crypto.createHash('sha256').update(script).update(style).digest('hex').slice(0, 12);
      loaded = { template: read('template.html'), script, style, version };
      return loaded;
    } catch (cause) {
      throw new HttpError('service_unavailable', 'The verifier page is not built: run npm run build:verifier', undefined, { cause });
    }
  };
  const deployment = () => {
    const chainId = deps.chainId();
    return chainId === null ? null : { chainId, rpcUrl: `${deps.publicUrl}/chain/rpc` };
  };

  router.get('/verifier', (_req, res) => {
    const page = assets();
    const html = composeVerifierPage({
      ...page,
      form: 'served',
      scriptUrl: `${base}/verifier/verifier.js?v=${page.version}`,
      styleUrl: `${base}/verifier/verifier.css?v=${page.version}`,
      deployment: deployment(),
      downloadUrl: `${base}/verifier/download`,
    });
    res.set({ 'content-security-policy': VERIFIER_PAGE_CSP, 'cache-control': 'no-cache' }).type('html').send(html);
  });
  router.get('/verifier/verifier.js', (_req, res) => {
    res.set('cache-control', 'public, max-age=86400').type('text/javascript').send(assets().script);
  });
  router.get('/verifier/verifier.css', (_req, res) => {
    res.set('cache-control', 'public, max-age=86400').type('text/css').send(assets().style);
  });
  router.get('/verifier/download', (_req, res) => {
    const html = composeVerifierPage({ ...assets(), form: 'standalone', deployment: deployment() });
    res
      .set({ 'content-disposition': 'attachment; filename="sello-verifier.html"', 'cache-control': 'no-cache' })
      .type('html')
      .send(html);
  });
  return router;
}
