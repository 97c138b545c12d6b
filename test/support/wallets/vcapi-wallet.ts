/**
 * A test wallet that speaks the VC-API exchange protocol as the Learner Credential Wallet
 * does (read from its source, not copied): it reads the `request` parameter of a deep
 * link, POSTs `{}` to the `vcapi` exchange URL, answers a `DIDAuthentication` query with a
 * presentation signed by its own `did:key` (Data Integrity, `eddsa-rdfc-2022`, proof
 * purpose authentication, the request's challenge and domain) at the `interact` service
 * endpoint, and keeps the credentials of the presentation it gets back.
 *
 * Signing uses the project's libraries (@digitalbazaar/vc, data-integrity, the
 * eddsa-rdfc-2022 cryptosuite Sello verifies with), but nothing of Sello's own wallet code.
 */
import * as vc from '@digitalbazaar/vc';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import { DataIntegrityProof } from '@digitalbazaar/data-integrity';
import { Ed25519Signature2020 } from '@digitalbazaar/ed25519-signature-2020';
import { eddsaRdfc2022 } from '../../../src/credentials/cryptosuite.ts';
import { createDocumentLoader } from '../../../src/credentials/document-loader.ts';

type Json = Record<string, unknown>;

/** The one verb of @digitalbazaar/vc used here that Sello's own code does not declare. */
const signPresentation = (vc as unknown as {
  signPresentation(options: { presentation: Json; suite: unknown; challenge: string; domain?: string; documentLoader: unknown }): Promise<Json>;
}).signPresentation;

export interface ExchangeStepResult {
  status: number;
  body: Json;
}

/** A did:key holder and its signing suite. */
export async function createWalletDid() {
  const pair = await Ed25519Multikey.generate();
  const did = `did:key:${pair.publicKeyMultibase}`;
  pair.controller = did;
  pair.id = `${did}#${pair.publicKeyMultibase}`;
  return { did, keyPair: pair };
}

export type WalletDid = Awaited<ReturnType<typeof createWalletDid>>;

/** How the wallet signs its DID authentication: Data Integrity (eddsa-rdfc-2022), or the older suite LCW uses. */
export type ProofType = 'eddsa-rdfc-2022' | 'Ed25519Signature2020';

/**
 * Signs a DIDAuth presentation (`holder` = the wallet's DID, no credentials).
 * `tamper` changes the presentation before signing, for negative tests.
 */
export async function signDidAuthentication(params: { holder: WalletDid; challenge: string; domain?: string; presentation?: Json; proofType?: ProofType }): Promise<Json> {
  if (params.proofType === 'Ed25519Signature2020') {
    // As the Learner Credential Wallet signs it: a VC 1.1 presentation and the 2020 suite,
    // which adds its own context to the presentation.
    const presentation = params.presentation ?? { '@context': ['https://www.w3.org/2018/credentials/v1'], type: ['VerifiablePresentation'], holder: params.holder.did };
    const suite = new Ed25519Signature2020({ signer: params.holder.keyPair.signer() });
    return signPresentation({ presentation, suite, challenge: params.challenge, domain: params.domain, documentLoader: createDocumentLoader() });
  }
  const presentation = params.presentation ?? { '@context': ['https://www.w3.org/ns/credentials/v2'], type: ['VerifiablePresentation'], holder: params.holder.did };
  const suite = new DataIntegrityProof({ signer: params.holder.keyPair.signer(), cryptosuite: eddsaRdfc2022 });
  return signPresentation({ presentation, suite, challenge: params.challenge, domain: params.domain, documentLoader: createDocumentLoader() });
}

/** The `protocols.vcapi` URL of an LCW deep link (`https://lcw.app/request?request=<JSON>`). */
export function exchangeUrlOfDeepLink(link: string): string {
  const request = new URL(link).searchParams.get('request');
  if (!request) throw new Error('The deep link has no request parameter');
  const parsed = JSON.parse(request) as { protocols?: { vcapi?: unknown } };
  if (typeof parsed.protocols?.vcapi !== 'string') throw new Error('The request names no vcapi exchange');
  return parsed.protocols.vcapi;
}

export class VcapiTestWallet {
  readonly received: Json[] = [];

  constructor(
    readonly holder: WalletDid,
    private readonly fetchImpl: typeof fetch = fetch,
    private readonly proofType: ProofType = 'eddsa-rdfc-2022',
  ) {}

  async post(url: string, body: Json): Promise<ExchangeStepResult> {
    const response = await this.fetchImpl(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as Json };
  }

  /**
   * Runs the exchange from a deep link to the end, as LCW's "complete" exchange handler
   * does: at most a few rounds, each answering the server's presentation request.
   * Returns the last answer; credentials received are kept in `received`.
   */
  async claim(deepLink: string, options: { challengeOverride?: string; domainOverride?: string } = {}): Promise<ExchangeStepResult> {
    let url = exchangeUrlOfDeepLink(deepLink);
    let request: Json = {};
    for (let round = 0; round < 5; round++) {
      const answer = await this.post(url, request);
      if (answer.status !== 200) return answer;
      const vpr = answer.body.verifiablePresentationRequest as Json | undefined;
      if (!vpr) {
        const vp = answer.body.verifiablePresentation as Json | undefined;
        this.received.push(...([vp?.verifiableCredential ?? []].flat() as Json[]));
        return answer;
      }
      const queries = [vpr.query].flat() as Json[];
      if (!queries.some((q) => q.type === 'DIDAuthentication' || q.type === 'DIDAuth')) throw new Error('The test wallet answers DIDAuthentication only');
      const verifiablePresentation = await signDidAuthentication({
        holder: this.holder,
        challenge: options.challengeOverride ?? (vpr.challenge as string),
        domain: options.domainOverride ?? (vpr.domain as string | undefined),
        proofType: this.proofType,
      });
      const services = ((vpr.interact as Json | undefined)?.service ?? []) as Json[];
      url = (services[0]?.serviceEndpoint as string | undefined) ?? url;
      request = { verifiablePresentation };
    }
    throw new Error('The exchange did not finish in 5 rounds');
  }
}
