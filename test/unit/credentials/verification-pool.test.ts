import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVerificationPool, mayBeAnchoringPending, type VerificationPool } from '../../../src/credentials/verification-pool.ts';
import { resolveDidKeyOnly } from '../../../src/credentials/document-loader.ts';
import { verifyCredential } from '../../../src/credentials/verify.ts';
import type { ChainReader } from '../../../src/credentials/chain-reader.ts';
import type { SigningKey } from '../../../src/credentials/sign-credential.ts';
import { check, makeDidKeyIssuer, signedCredential, statusLists, STATUS_INDEX, verifyOptions } from './fixtures.ts';

describe('verifying in the worker pool', () => {
  let pool: VerificationPool;
  let issuer: SigningKey;
  beforeAll(async () => {
    pool = createVerificationPool({ size: 1, deadlineMs: 30_000 });
    issuer = await makeDidKeyIssuer();
  });
  afterAll(() => pool.close());

  it('gives the same report as verifying in this thread, status lists and clock included', async () => {
    const credential = await signedCredential(issuer);
    const options = await verifyOptions(issuer, { statusListLoader: await statusLists(issuer, { suspended: [STATUS_INDEX] }) });
    const here = await verifyCredential(credential, options);
    const inWorker = await pool.verifyCredential(credential, { resolveDid: resolveDidKeyOnly, now: options.now, statusListLoader: options.statusListLoader });
    expect(inWorker).toEqual(here);
    expect(check(inWorker, 'status')).toMatchObject({ valid: false, error: 'suspended' });
  });

  it('answers a credential as the JSON text of the same report, and hands back the report itself when Sello\'s records may still soften its anchor check', async () => {
    const credential = await signedCredential(issuer);
    const options = await verifyOptions(issuer, { statusListLoader: await statusLists(issuer, { suspended: [STATUS_INDEX] }) });
    const sources = { resolveDid: resolveDidKeyOnly, now: options.now, statusListLoader: options.statusListLoader };
    const here = await verifyCredential(credential, options);
    const answer = await pool.verifyCredentialAnswer(credential, sources);
    expect(answer).toEqual({ verified: false, json: JSON.stringify(here) });

    const notAnchored = { ...sources, anchorChecker: async () => ({ valid: false, error: 'not_anchored' }) };
    const unanchored = await pool.verifyCredentialAnswer(credential, notAnchored);
    expect(unanchored.json).toBeUndefined();
    expect(mayBeAnchoringPending(unanchored.report!)).toBe(true);
    expect(unanchored.report).toEqual(await pool.verifyCredential(credential, notAnchored));
  });

  it("calls an object of async methods (a chain reader) back on this thread, by method", async () => {
    const asked: string[] = [];
    const chainReader: ChainReader = {
      chainId: async () => 31337,
      issuerKey: async (params) => {
        asked.push(`issuerKey ${params.did}`);
        return null;
      },
      credentialStatus: async () => {
        asked.push('credentialStatus');
        return { revoked: false, suspended: false } as never;
      },
      issuerBinding: async () => null,
      trustListEntry: async () => ({ member: false, since: null }) as never,
    };
    const options = await verifyOptions(issuer);
    await pool.verifyCredential(await signedCredential(issuer), { resolveDid: resolveDidKeyOnly, now: options.now, statusListLoader: options.statusListLoader, chainReader });
    expect(asked).toContain(`issuerKey ${issuer.controller}`);
  });
});
