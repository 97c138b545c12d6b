/**
 * Verification without Sello: what `sello verify` and the verifier page (`/verifier`,
 * the downloadable HTML file) both run, so that their reports are the same for every
 * credential. Nothing here needs a Sello server, a database or Node: the file's bytes,
 * the network (a did:web's DID document, status lists) and, optionally, a chain's
 * JSON-RPC endpoint are all it reads. JSON-LD contexts come from the bundled packages only.
 *
 * https://www.imsglobal.org/spec/ob/v3p0/#verification-and-validation
 */
import { readCredentialFile } from '../credentials/bake.ts';
import { createDocumentLoader } from '../credentials/document-loader.ts';
import { didOf, didWebDocumentUrl, resolveDidKey, type DidDocument } from '../credentials/did.ts';
import { CredentialError } from '../credentials/errors.ts';
import type { ChainContractRef } from '../credentials/chain-reader.ts';
import { verifyCredential, type VerificationReport } from '../credentials/verify.ts';
import { assertSafeInput } from '../untrusted-input.ts';

const FETCH_TIMEOUT_MS = 15_000;
const MAX_FETCH_BYTES = 2 * 1024 * 1024;

/**
 * GET a JSON document over http(s), bounded in time and size, with the platform's
 * `fetch` (the page's; the CLI passes its outbound client instead).
 */
export async function fetchJson(url: string): Promise<unknown> {
  const parsed = new URL(url);
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new Error(`refusing to fetch ${parsed.protocol} URL`);
  const response = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), headers: { accept: 'application/json, application/ld+json, application/did+json' } });
  if (!response.ok) throw new Error(`${url} answered HTTP ${response.status}`);
  const text = await response.text();
  if (text.length > MAX_FETCH_BYTES) throw new Error(`${url} is too large`);
  return JSON.parse(text);
}

/**
 * The credential in a file's bytes (JSON, baked PNG or baked SVG), refused before any
 * verifier recurses into it when it is not a credential object or is unsafe to walk.
 *
 * @throws CredentialError `invalid_credential`, `invalid_baked_image`, or the
 *   untrusted-input codes (bad input: the CLI's exit 2, a message on the page).
 */
export function credentialFromFile(bytes: Uint8Array): Record<string, unknown> {
  const credential = readCredentialFile(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  if (!credential || typeof credential !== 'object' || Array.isArray(credential)) {
    throw new CredentialError('invalid_credential', 'The file does not hold a credential object');
  }
  assertSafeInput(credential, 'The credential file');
  return credential as Record<string, unknown>;
}

export interface VerifyWithoutSelloParameters {
  credential: Record<string, unknown>;
  /** A chain JSON-RPC endpoint: adds the chain checks, and the chain as fallback for keys and status. */
  rpcUrl?: string | null;
  /** The issuer's DID document, given instead of fetched (its domain may be gone). */
  didDocument?: DidDocument | null;
  /** Consortium trust lists to look the issuer up in (needs `rpcUrl`). */
  trustLists?: ChainContractRef[];
  /** How DID documents and status lists are fetched; `fetchJson` (the platform's fetch) by default. */
  fetchDocument?: (url: string) => Promise<unknown>;
  now?: () => Date;
}

/**
 * Verifies `credential` as `sello verify` does: did:key by computation, did:web from
 * `didDocument` or from its domain, status lists over HTTP, and with `rpcUrl` the
 * anchor, the issuer directory, trust lists, and the chain's keys and status.
 * Returns the report; never throws for a credential that fails.
 *
 * @throws CredentialError `invalid_credential` when trust lists are given without an RPC URL.
 */
export async function verifyWithoutSello(params: VerifyWithoutSelloParameters): Promise<VerificationReport> {
  const trustLists = params.trustLists ?? [];
  if (trustLists.length > 0 && !params.rpcUrl) throw new CredentialError('invalid_credential', 'Trust lists are read from a chain: give an RPC endpoint');
  const fetchDocument = params.fetchDocument ?? fetchJson;
  const given = params.didDocument ?? null;
  const resolveDid = async (didUrl: string): Promise<DidDocument | null> => {
    const did = didOf(didUrl);
    if (did.startsWith('did:key:')) return resolveDidKey(did);
    if (given && given.id === did) return given;
    if (did.startsWith('did:web:')) {
      let document: DidDocument;
      try {
        document = (await fetchDocument(didWebDocumentUrl(did))) as DidDocument;
      } catch (cause) {
        // The domain is gone or answers no DID document: a named reason, not the
        // network stack's "fetch failed" (with an RPC URL the key then comes from the chain).
        throw new CredentialError('did_not_found', `Cannot resolve ${did}: ${(cause as Error).message}`, { did }, { cause });
      }
      return document && document.id === did ? document : null;
    }
    return null;
  };
  // Loaded only when asked (ethers is most of a verification's start-up); one provider
  // for both, so the chain id is asked once.
  const chain = params.rpcUrl ? await openChain(params.rpcUrl) : null;
  try {
    return await verifyCredential(params.credential, {
      documentLoader: createDocumentLoader({ resolveDid }),
      statusListLoader: fetchDocument,
      anchorChecker: chain?.anchorChecker,
      chainReader: chain?.chainReader,
      trustLists,
      now: params.now,
    });
  } finally {
    chain?.close();
  }
}

async function openChain(rpcUrl: string) {
  const [{ createAnchorChecker }, { createChainReader, verifierProvider }] = await Promise.all([
    import('../chain/anchor-checker.ts'),
    import('../chain/chain-reader.ts'),
  ]);
  const provider = verifierProvider(rpcUrl);
  return {
    anchorChecker: createAnchorChecker({ provider }),
    chainReader: createChainReader({ provider }),
    close: () => provider.destroy(),
  };
}
