/**
 * The DCC verifier (`@digitalcredentials/verifier-core`, what the Learner Credential
 * Wallet and VerifierPlus run) as the baseline of `verify_per_s`, verifying the same
 * credentials offline.
 *
 * It has no document loader option: it builds one at import with remote contexts on
 * (its contexts for VC v2 and OB 3.0 are bundled; did:key resolves locally) and
 * fetches status lists and the OB 3.0 JSON Schema over HTTP with the global `fetch`.
 * Here `fetch` is replaced, before it is imported, by one that answers from this
 * process: the signed status lists by URL, the official schema from Sello's copy,
 * anything else 404 (nothing leaves the machine). Issuer registries: an empty list,
 * so `registered_issuer` is informational. Every credential must come out with a valid
 * signature and status, or the baseline would be measuring failures.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const schemaFile = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'credentials', 'ob_v3p0_achievementcredential_schema.json');

export interface DccVerifier {
  /** Verifies one credential; throws when a check that Sello also makes fails. */
  verify(credential: object): Promise<void>;
  /** URLs it asked for that were not served (to report what it wanted from the network). */
  refused: Set<string>;
}

export async function createDccVerifier(documents: Map<string, object>): Promise<DccVerifier> {
  const refused = new Set<string>();
  const schema = fs.readFileSync(schemaFile, 'utf8');
  const localFetch = async (input: string | URL | Request): Promise<Response> => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const document = documents.get(url);
    if (document) return new Response(JSON.stringify(document), { status: 200, headers: { 'content-type': 'application/json' } });
    if (url.includes('ob_v3p0_achievementcredential_schema.json')) return new Response(schema, { status: 200, headers: { 'content-type': 'application/json' } });
    refused.add(url);
    return new Response('not served in the benchmark', { status: 404 });
  };
  globalThis.fetch = localFetch as typeof fetch;
  const { verifyCredential } = await import('@digitalcredentials/verifier-core');
  return {
    refused,
    async verify(credential) {
      const result = (await verifyCredential({ credential: credential as never, knownDIDRegistries: [] })) as unknown as {
        log?: Array<{ id: string; valid?: boolean }>;
        errors?: unknown[];
      };
      const failed = (result.log ?? []).filter((step) => ['valid_signature', 'revocation_status', 'expiration'].includes(step.id) && step.valid === false);
      if (result.errors?.length || failed.length > 0 || !result.log?.some((step) => step.id === 'valid_signature' && step.valid)) {
        throw new Error(`DCC verifier did not verify the credential: ${JSON.stringify(result).slice(0, 1500)}`);
      }
    },
  };
}
