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
import type { DidDocument } from '../../credentials/did.ts';
import { CredentialError } from '../../credentials/errors.ts';
import { parseCaip10 } from '../../credentials/chain-reference.ts';
import type { VerificationReport } from '../../credentials/verify.ts';
import { credentialFromFile, verifyWithoutSello } from '../../verifier/verify-without-sello.ts';
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
      // Bad input (exit 2), refused before any verifier recurses into it.
      const credential = credentialFromFile(readInput(file));
      let didDocument: DidDocument | null = null;
      if (options.didDocument) {
        try {
          didDocument = JSON.parse(fs.readFileSync(options.didDocument, 'utf8')) as DidDocument;
        } catch (cause) {
          throw new CredentialError('invalid_did', `Cannot read the DID document ${options.didDocument}`, undefined, { cause });
        }
      }
      // The same code as the verifier page's (src/verifier): the two must agree on every credential.
      const report = await verifyWithoutSello({ credential, rpcUrl: options.rpc, didDocument, trustLists, fetchDocument: fetchJson });
      console.log(options.json ? JSON.stringify(report, null, 2) : formatReport(report));
      process.exitCode = report.verified ? 0 : 1;
    });
}
