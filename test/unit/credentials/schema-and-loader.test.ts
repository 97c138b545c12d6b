import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createDocumentLoader } from '../../../src/credentials/document-loader.ts';
import { CONTEXTS, OB_V3_CONTEXT, VC_V2_CONTEXT } from '../../../src/credentials/contexts.ts';
import { CredentialError } from '../../../src/credentials/errors.ts';
import { didWebDocumentUrl, didWebFromUrl, resolveDidKey } from '../../../src/credentials/did.ts';

async function codeOf(run: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await run();
  } catch (error) {
    return error instanceof CredentialError ? error.code : 'other';
  }
  return undefined;
}

describe('the bundled schema and the offline document loader', () => {
  it('ships the official OB 3.0 schema unchanged from test/vectors/ob3', () => {
    const shipped = fs.readFileSync(new URL('../../../src/credentials/ob_v3p0_achievementcredential_schema.json', import.meta.url), 'utf8');
    const official = fs.readFileSync(new URL('../../vectors/ob3/ob_v3p0_achievementcredential_schema.json', import.meta.url), 'utf8');
    expect(JSON.parse(shipped)).toEqual(JSON.parse(official));
  });

  it('serves every context Sello uses from installed packages', async () => {
    const load = createDocumentLoader();
    for (const url of [VC_V2_CONTEXT, OB_V3_CONTEXT, 'https://w3id.org/security/data-integrity/v2', 'https://w3id.org/security/multikey/v1', 'https://www.w3.org/ns/did/v1']) {
      expect(CONTEXTS.has(url)).toBe(true);
      expect((await load(url)).document).toBeTypeOf('object');
    }
  });

  it('refuses any other URL instead of fetching it', async () => {
    expect(await codeOf(() => createDocumentLoader()('https://example.com/context.jsonld'))).toBe('remote_document_refused');
  });

  it('refuses DID methods other than web and key', async () => {
    expect(await codeOf(() => createDocumentLoader()('did:ethr:0x123'))).toBe('unsupported_did_method');
  });

  it('reports a did:web it cannot resolve', async () => {
    expect(await codeOf(() => createDocumentLoader()('did:web:example.com'))).toBe('did_not_found');
  });

  it('maps deployment URLs to did:web and back', () => {
    expect(didWebFromUrl('http://localhost:3000')).toBe('did:web:localhost%3A3000');
    expect(didWebFromUrl('https://badges.uni.example', ['issuers', 'fac-ing'])).toBe('did:web:badges.uni.example:issuers:fac-ing');
    expect(didWebDocumentUrl('did:web:localhost%3A3000')).toBe('http://localhost:3000/.well-known/did.json');
    expect(didWebDocumentUrl('did:web:badges.uni.example:issuers:fac-ing')).toBe('https://badges.uni.example/issuers/fac-ing/did.json');
  });

  it('rejects a did:key that is not an Ed25519 key', () => {
    expect(() => resolveDidKey('did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme')).toThrow(CredentialError);
  });
});
