/**
 * The offline JSON-LD document loader. Contexts come from installed npm packages only
 * (`contexts.ts`); DIDs and DID URLs are resolved by the injected `resolveDid`
 * (did:key by computation, Sello's own did:web from its database or, in the CLI, from
 * the DID document fetched over HTTP or given as a file). Everything else is refused
 * with a named error: a credential must never make its verifier fetch a URL it chose.
 *
 * https://www.w3.org/TR/json-ld11-api/#loaddocumentcallback
 */
import { CONTEXTS } from './contexts.ts';
import { CredentialError } from './errors.ts';
import { didOf, resolveDidKey, type DidDocument } from './did.ts';

export interface RemoteDocument {
  contextUrl: null;
  documentUrl: string;
  document: object;
  /**
   * `static` tells jsonld the document never changes, so it keeps the processed
   * context across operations: without it every signature re-processes the large VC v2
   * and OB 3.0 contexts (measured: several times slower).
   */
  tag?: 'static';
}

export type DocumentLoader = (url: string) => Promise<RemoteDocument>;

/** Resolves a DID to its document; null when unknown. */
export type DidResolver = (did: string) => Promise<DidDocument | null>;

/** did:key only: the resolver for verifiers that trust nothing else. */
export const resolveDidKeyOnly: DidResolver = async (did) => (did.startsWith('did:key:') ? resolveDidKey(did) : null);

/**
 * Builds a loader. Resolved DID documents are cached for the loader's lifetime (one
 * verification run, or longer when the caller keeps the loader), which is what keeps
 * verification near the libraries' own speed.
 *
 * Errors it raises (inside the JSON-LD processor, which reports them as the failing
 * check's error): `remote_document_refused` for any URL that is neither a known
 * context nor a DID, `unsupported_did_method`, `did_not_found`, `document_not_found`.
 */
export function createDocumentLoader(params: { resolveDid?: DidResolver; cacheDids?: boolean } = {}): DocumentLoader {
  const resolveDid = params.resolveDid ?? resolveDidKeyOnly;
  const cache = new Map<string, Promise<DidDocument | null>>();
  const lookUp = (did: string) => {
    if (params.cacheDids === false) return resolveDid(did);
    let found = cache.get(did);
    if (!found) {
      found = resolveDid(did);
      cache.set(did, found);
      // A failed lookup must not be remembered: the next run may succeed.
      found.catch(() => cache.delete(did));
    }
    return found;
  };
  return async (url: string) => {
    const context = CONTEXTS.get(url);
    if (context) return { contextUrl: null, documentUrl: url, document: context, tag: 'static' };
    if (url.startsWith('did:')) {
      const did = didOf(url);
      if (!/^did:(web|key):/.test(did)) {
        throw new CredentialError('unsupported_did_method', `Unsupported DID method: ${did.split(':').slice(0, 2).join(':')}`, { did });
      }
      const document = await lookUp(did);
      if (!document) throw new CredentialError('did_not_found', `Cannot resolve ${did}`, { did });
      if (!url.includes('#')) return { contextUrl: null, documentUrl: url, document };
      const method = document.verificationMethod.find((vm) => vm.id === url);
      if (!method) throw new CredentialError('document_not_found', `${did} has no verification method ${url}`, { url });
      // Verification methods are loaded as documents of their own: give them the context.
      return { contextUrl: null, documentUrl: url, document: { '@context': document['@context'], ...method } };
    }
    throw new CredentialError(
      'remote_document_refused',
      `Refusing to load ${url}: only bundled JSON-LD contexts and DIDs are loaded, never remote documents`,
      { url },
    );
  };
}
