/**
 * Status lists are verified once per content (src/credentials/verify.ts): a verification
 * worker receives each list as a new object per job, and verifying its signature again
 * for every credential tripled the signatures per check. These tests show the cache
 * never serves a list it should not: another content, another key of the issuer, a
 * clock before the list's validFrom, and that it stays bounded.
 */
import { describe, expect, it } from 'vitest';
import { MAX_VERIFIED_LISTS, verifiedListCount, verifyCredential } from '../../../src/credentials/verify.ts';
import { createDocumentLoader } from '../../../src/credentials/document-loader.ts';
import { withRevokedKeys, type DidDocument } from '../../../src/credentials/did.ts';
import { buildStatusListCredential, encodeStatusList } from '../../../src/credentials/status-list.ts';
import { signCredential } from '../../../src/credentials/sign-credential.ts';
import { check, documentLoader, makeDidKeyIssuer, signedCredential, statusLists, STATUS_URL, SUSPENSION_URL } from './fixtures.ts';

/** A loader whose every call hands out a fresh copy of each list, as a worker receives them. */
function freshCopies(load: (url: string) => Promise<object>) {
  return async (url: string) => structuredClone(await load(url));
}

describe('status lists verified once per content', () => {
  it('verifies a fresh copy of the same list from the cache, with the same report', async () => {
    const issuer = await makeDidKeyIssuer();
    const credential = await signedCredential(issuer);
    const statusListLoader = freshCopies(await statusLists(issuer));
    const options = { documentLoader, now: () => new Date('2026-06-01T00:00:00Z'), statusListLoader };
    const first = await verifyCredential(credential, options);
    const before = verifiedListCount();
    const second = await verifyCredential(credential, { ...options, documentLoader: createDocumentLoader() });
    expect(second).toEqual(first);
    expect(second.verified).toBe(true);
    expect(verifiedListCount()).toBe(before);
  });

  it('still refuses a list changed after signing, though the same list verified before', async () => {
    const issuer = await makeDidKeyIssuer();
    const credential = await signedCredential(issuer);
    const load = await statusLists(issuer);
    const options = { documentLoader, now: () => new Date('2026-06-01T00:00:00Z') };
    expect((await verifyCredential(credential, { ...options, statusListLoader: freshCopies(load) })).verified).toBe(true);
    const tampered = async (url: string) => {
      const list = structuredClone(await load(url)) as { credentialSubject: { encodedList: string } };
      if (url === STATUS_URL) list.credentialSubject.encodedList = await encodeStatusList({ setIndexes: [1] });
      return list;
    };
    const report = await verifyCredential(credential, { ...options, statusListLoader: tampered });
    expect(check(report, 'status')).toMatchObject({ valid: false, error: 'status_list_invalid' });
  });

  it("verifies the list again when the issuer's DID document changes (a revoked key)", async () => {
    const issuer = await makeDidKeyIssuer();
    const credential = await signedCredential(issuer);
    const statusListLoader = freshCopies(await statusLists(issuer));
    const now = () => new Date('2026-06-01T00:00:00Z');
    expect((await verifyCredential(credential, { documentLoader, now, statusListLoader })).verified).toBe(true);
    const current = (await documentLoader(issuer.controller)).document as DidDocument;
    const revoked = withRevokedKeys(current, new Map([[issuer.verificationMethod, new Date('2026-05-01T00:00:00Z')]]));
    const revokedLoader = createDocumentLoader({ resolveDid: async (did) => (did === issuer.controller ? revoked : null) });
    const report = await verifyCredential(credential, { documentLoader: revokedLoader, now, statusListLoader });
    expect(check(report, 'status')).toMatchObject({ valid: false, error: 'status_list_invalid' });
  });

  it("does not serve a list from the cache at a time before the list's validFrom", async () => {
    const issuer = await makeDidKeyIssuer();
    const credential = await signedCredential(issuer);
    const statusListLoader = freshCopies(await statusLists(issuer));
    expect((await verifyCredential(credential, { documentLoader, now: () => new Date('2026-06-01T00:00:00Z'), statusListLoader })).verified).toBe(true);
    // The lists are valid from 2026-01-01: at 2025-12-01 the library refuses them.
    const early = await verifyCredential(credential, { documentLoader, now: () => new Date('2025-12-01T00:00:00Z'), statusListLoader });
    expect(check(early, 'status')).toMatchObject({ valid: false, error: 'status_list_invalid' });
  });

  it(`remembers at most ${MAX_VERIFIED_LISTS} lists`, async () => {
    const issuer = await makeDidKeyIssuer();
    const credential = await signedCredential(issuer);
    const suspension = await statusLists(issuer);
    for (let i = 0; i < MAX_VERIFIED_LISTS + 4; i += 1) {
      const list = await signCredential({
        credential: buildStatusListCredential({ url: STATUS_URL, issuer: issuer.controller, purpose: 'revocation', encodedList: await encodeStatusList({ setIndexes: [i + 1] }), validFrom: new Date('2026-01-01T00:00:00Z') }),
        key: issuer,
        documentLoader,
      });
      const statusListLoader = async (url: string) => (url === SUSPENSION_URL ? suspension(url) : structuredClone(list));
      expect((await verifyCredential(credential, { documentLoader, now: () => new Date('2026-06-01T00:00:00Z'), statusListLoader })).verified).toBe(true);
    }
    expect(verifiedListCount()).toBeLessThanOrEqual(MAX_VERIFIED_LISTS);
  });
});
