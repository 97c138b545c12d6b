/**
 * Puts the verifier page together from its template (src/verifier/page/verifier.html),
 * its script and its stylesheet, in two forms:
 *
 * - `served`: script and stylesheet as separate files, so the page runs under Sello's
 *   Content-Security-Policy (`script-src 'self'`, no inline code);
 * - `standalone`: one HTML file with both inline, which works opened from disk
 *   (file://) or from any static host, and needs nothing else.
 *
 * Either may carry the deployment's chain (its id and its `/chain/rpc`), which the page
 * offers as the RPC endpoint for credentials of that chain.
 */
import type { DeploymentChain } from './public-rpc-endpoints.ts';

export interface VerifierAssets {
  template: string;
  script: string;
  style: string;
}

export type ComposeVerifierPageParameters = VerifierAssets & {
  deployment?: DeploymentChain | null;
  /** Where the standalone file can be downloaded, shown in the page's footer. */
  downloadUrl?: string | null;
} & ({ form: 'standalone' } | { form: 'served'; scriptUrl: string; styleUrl: string });

const escapeAttribute = (value: string) =>
  value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * Text that may sit inside `<script>` / `<style>`: an end tag or a comment opener in it
 * would end the element early (https://html.spec.whatwg.org/#restrictions-for-contents-of-script-elements).
 *
 * @throws TypeError when it holds one (the bundler is expected to have escaped them).
 */
function assertInlineSafe(element: 'script' | 'style', content: string): string {
  if (new RegExp(`</${element}|<!--`, 'i').test(content)) throw new TypeError(`The ${element} cannot be inlined: it contains </${element} or <!--`);
  return content;
}

/** The page's HTML. */
export function composeVerifierPage(params: ComposeVerifierPageParameters): string {
  const deployment = params.deployment
    ? `<meta name="sello-deployment" content="${escapeAttribute(JSON.stringify({ chainId: params.deployment.chainId, rpcUrl: params.deployment.rpcUrl }))}">`
    : '';
  const download = params.downloadUrl
    ? `<p><a href="${escapeAttribute(params.downloadUrl)}" download="sello-verifier.html" data-i18n="verifier.download_page">Download this verifier</a></p>`
    : '';
  const style =
    params.form === 'served'
      ? `<link rel="stylesheet" href="${escapeAttribute(params.styleUrl)}">`
      : `<style>\n${assertInlineSafe('style', params.style)}\n</style>`;
  const script =
    params.form === 'served'
      ? `<script src="${escapeAttribute(params.scriptUrl)}"></script>`
      : `<script>\n${assertInlineSafe('script', params.script)}\n</script>`;
  // Replaced by function: `$` in the script must not be read as a replacement pattern.
  return params.template
    .replace('<!--sello:deployment-->', () => deployment)
    .replace('<!--sello:download-->', () => download)
    .replace('<!--sello:style-->', () => style)
    .replace('<!--sello:script-->', () => script);
}
