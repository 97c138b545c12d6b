/**
 * `sello verify <file|-> [--rpc URL] [--json] [--did-document FILE] [--trust-list CAIP-10]…`: verifies a
 * credential (JSON, baked PNG or baked SVG) with no Sello server and no database.
 * did:key is resolved by computation; did:web by fetching the DID document from the
 * credential's own host (or from `--did-document`); status lists over HTTP; JSON-LD
 * contexts only from installed packages. With `--rpc`, the chain checks run too, and the
 * issuer's key and the credential's status come from the chain when the issuer's server
 * is gone; `--trust-list` reports the consortium lists the issuer is a member of.
 *
 * Exit codes: 0 verified, 1 not verified, 2 bad input.
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import { readCredentialFile } from '../../credentials/bake.ts';
import { createDocumentLoader } from '../../credentials/document-loader.ts';
import { didOf, didWebDocumentUrl, resolveDidKey, type DidDocument } from '../../credentials/did.ts';
import { CredentialError } from '../../credentials/errors.ts';
import { parseCaip10 } from '../../credentials/chain-reference.ts';
import { verifyCredential, type AnchorChecker, type ChainReader, type VerificationReport } from '../../credentials/verify.ts';
import { assertSafeInput } from '../../untrusted-input.ts';
import { createOutboundFetch } from '../../outbound/outbound-fetch.ts';

/**
 * The command's own outbound client: the URLs come from the credential file, so the
 * answer is bounded in time and size while it is read, and redirects stay on the origin.
 * Private addresses are allowed: this runs on the verifier's own machine, where a
 * credential of a local trial Sello (`did:web:localhost%3A3000`) is a normal case.
 */
const cliFetch = createOutboundFetch({ allowPrivate: true, timeoutMs: 15_000, maxResponseBytes: 2 * 1024 * 1024 });

/** GET a JSON document over http(s), bounded in time and size. */
export async function fetchJson(url: string): Promise<unknown> {
  const response = await cliFetch(url, { headers: { accept: 'application/json, application/ld+json, application/did+json' } });
  if (!response.ok) throw new Error(`${url} answered HTTP ${response.status}`);
  return JSON.parse(await response.text());
}

function readInput(file: string): Buffer {
  try {
    return file === '-' ? fs.readFileSync(0) : fs.readFileSync(file);
  } catch (cause) {
    throw new CredentialError('invalid_credential', `Cannot read ${file}: ${(cause as Error).message}`, undefined, { cause });
  }
}

interface ChainModules {
  anchorChecker: AnchorChecker;
  chainReader: ChainReader;
}

async function loadChain(rpcUrl: string): Promise<ChainModules> {
  // The chain capability is optional for this command; import it only when asked.
  const checkerPath = '../../chain/anchor-checker.ts';
  const readerPath = '../../chain/chain-reader.ts';
  let checker: { createAnchorChecker?: (params: { provider: unknown }) => AnchorChecker };
  let reader: { createChainReader?: (params: { provider: unknown }) => ChainReader; verifierProvider?: (url: string) => unknown };
  try {
    [checker, reader] = await Promise.all([import(checkerPath), import(readerPath)]);
  } catch (cause) {
    throw new CredentialError('anchor_checker_unavailable', `--rpc needs the chain capability (src/chain/), which is not available: ${(cause as Error).message}`);
  }
  if (typeof checker.createAnchorChecker !== 'function' || typeof reader.createChainReader !== 'function' || typeof reader.verifierProvider !== 'function') {
    throw new CredentialError('anchor_checker_unavailable', '--rpc needs createAnchorChecker and createChainReader from src/chain/, which this build lacks');
  }
  // One provider for both: the chain id is asked once.
  const provider = reader.verifierProvider(rpcUrl);
  return { anchorChecker: checker.createAnchorChecker({ provider }), chainReader: reader.createChainReader({ provider }) };
}

/** Prints the report as ✓/✗ lines. */
export function formatReport(report: VerificationReport): string {
  const lines = report.checks.map((check) => {
    const mark = check.skipped ? '–' : check.valid ? '✓' : '✗';
    const message = typeof check.details?.message === 'string' ? `: ${check.details.message}` : '';
    // Say where an answer came from when it was not the issuer's own server.
    const fromChain =
      check.details?.keySource === 'chain'
        ? ' [key from the chain]'
        : check.details?.source === 'chain'
          ? ` [from the chain at block ${String(check.details.blockNumber)}]`
          : '';
    const shown = check.error || check.skipped || check.id === 'trust_list' ? message : '';
    return `${mark} ${check.id}${check.error ? ` (${check.error})` : ''}${fromChain}${shown}`;
  });
  lines.push(report.verified ? 'VERIFIED' : 'NOT VERIFIED');
  if (report.credentialHash) lines.push(`credential hash ${report.credentialHash}`);
  return lines.join('\n');
}

export function register(program: Command): void {
  program
    .command('verify')
    .description('Verify a credential (JSON, baked PNG or SVG; "-" reads stdin). Exit 0 verified, 1 not, 2 bad input')
    .argument('<file>', 'credential file, or - for stdin')
    .option('--rpc <url>', 'chain JSON-RPC endpoint: also check the on-chain anchor')
    .option('--json', 'print the report as JSON')
    .option('--did-document <file>', "use this DID document for the issuer's did:web instead of fetching it")
    .option(
      '--trust-list <caip10>',
      'a consortium trust list (eip155:<chainId>:<address>) to look the issuer up in; repeatable; needs --rpc',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .action(async (file: string, options: { rpc?: string; json?: boolean; didDocument?: string; trustList?: string[] }) => {
      const trustLists = (options.trustList ?? []).map((value) => {
        const parsed = parseCaip10(value);
        if (!parsed) throw new CredentialError('invalid_credential', `--trust-list ${value} is not eip155:<chainId>:<0x address>`);
        return parsed;
      });
      if (trustLists.length > 0 && !options.rpc) throw new CredentialError('invalid_credential', '--trust-list needs --rpc');
      const credential = readCredentialFile(readInput(file));
      if (!credential || typeof credential !== 'object' || Array.isArray(credential)) {
        throw new CredentialError('invalid_credential', 'The file does not hold a credential object');
      }
      // Bad input (exit 2), refused before any verifier recurses into it.
      assertSafeInput(credential, 'The credential file');
      let given: DidDocument | null = null;
      if (options.didDocument) {
        try {
          given = JSON.parse(fs.readFileSync(options.didDocument, 'utf8')) as DidDocument;
        } catch (cause) {
          throw new CredentialError('invalid_did', `Cannot read the DID document ${options.didDocument}`, undefined, { cause });
        }
      }
      const resolveDid = async (didUrl: string): Promise<DidDocument | null> => {
        const did = didOf(didUrl);
        if (did.startsWith('did:key:')) return resolveDidKey(did);
        if (given && given.id === did) return given;
        if (did.startsWith('did:web:')) {
          let document: DidDocument;
          try {
            document = (await fetchJson(didWebDocumentUrl(did))) as DidDocument;
          } catch (cause) {
            // The domain is gone or answers no DID document: a named reason, not the
            // network stack's "fetch failed" (with --rpc the key then comes from the chain).
            throw new CredentialError('did_not_found', `Cannot resolve ${did}: ${(cause as Error).message}`, { did }, { cause });
          }
          return document && document.id === did ? document : null;
        }
        return null;
      };
      const chain = options.rpc ? await loadChain(options.rpc) : null;
      const report = await verifyCredential(credential, {
        documentLoader: createDocumentLoader({ resolveDid }),
        statusListLoader: fetchJson,
        anchorChecker: chain?.anchorChecker,
        chainReader: chain?.chainReader,
        trustLists,
      });
      console.log(options.json ? JSON.stringify(report, null, 2) : formatReport(report));
      process.exitCode = report.verified ? 0 : 1;
    });
}
