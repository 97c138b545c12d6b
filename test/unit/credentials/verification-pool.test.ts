import fs from 'node:fs';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConfiguredVerificationPool, createVerificationPool, mayBeAnchoringPending, type VerificationPool } from '../../../src/credentials/verification-pool.ts';
import { loadConfig } from '../../../src/config.ts';
import { resolveDidKeyOnly } from '../../../src/credentials/document-loader.ts';
import { verifyCredential } from '../../../src/credentials/verify.ts';
import { currentLinuxThreadId, type ThreadPriorityOutcome } from '../../../src/credentials/thread-priority.ts';
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

describe('the pool the VERIFY_* settings ask for', () => {
  it('starts no worker until a verification needs one by default, and every worker at once with VERIFY_WORKER_IDLE_S=0', async () => {
    const onDemand = createConfiguredVerificationPool(loadConfig({ VERIFY_WORKERS: '2' }).verification);
    const kept = createConfiguredVerificationPool(loadConfig({ VERIFY_WORKERS: '2', VERIFY_WORKER_IDLE_S: '0' }).verification);
    try {
      expect(onDemand.stats().workers).toBe(0);
      expect(kept.stats().workers).toBe(2);
      const issuer = await makeDidKeyIssuer();
      const options = await verifyOptions(issuer);
      const report = await onDemand.verifyCredential(await signedCredential(issuer), { resolveDid: resolveDidKeyOnly, now: options.now, statusListLoader: options.statusListLoader });
      expect(report.checks.find((entry) => entry.id === 'signature')?.valid).toBe(true);
      expect(onDemand.stats().workers).toBe(1);
    } finally {
      await Promise.all([onDemand.close(), kept.close()]);
    }
  });
});

/** A thread's nice value as the kernel reports it: field 19 of /proc/<pid>/task/<tid>/stat (after the parenthesised name). */
function niceOfThread(tid: number): number {
  const stat = fs.readFileSync(`/proc/${process.pid}/task/${tid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19 - 3]);
}

describe.runIf(process.platform === 'linux')('verification workers at a lower scheduling priority', () => {
  let pool: VerificationPool;
  afterAll(() => pool?.close());

  it('runs each started worker thread 10 nice steps below this thread, leaves this thread as it was, and still verifies', async () => {
    const here = currentLinuxThreadId()!;
    const niceHere = niceOfThread(here);
    const outcomes: ThreadPriorityOutcome[] = [];
    pool = createVerificationPool({ size: 2, deadlineMs: 30_000, niceIncrement: 10, onThreadPriority: (outcome) => outcomes.push(outcome) });
    pool.warm();
    const issuer = await makeDidKeyIssuer();
    const credential = await signedCredential(issuer);
    const options = await verifyOptions(issuer, { statusListLoader: await statusLists(issuer) });
    const reports = await Promise.all([1, 2, 3, 4].map(() => pool.verifyCredential(credential, { resolveDid: resolveDidKeyOnly, now: options.now, statusListLoader: options.statusListLoader })));
    for (const report of reports) expect(report).toEqual(await verifyCredential(credential, options));
    expect(reports[0]!.verified).toBe(true);

    const expectedNice = Math.min(19, niceHere + 10);
    expect(outcomes).toHaveLength(2);
    for (const outcome of outcomes) {
      expect(outcome.lowered).toBe(expectedNice !== niceHere);
      const tid = outcome.threadId!;
      expect(tid).not.toBe(here);
      // What the kernel schedules by, read apart from the worker's own account.
      expect(niceOfThread(tid)).toBe(expectedNice);
      expect(os.getPriority(tid)).toBe(expectedNice);
    }
    expect(niceOfThread(here)).toBe(niceHere);
  });
});
