/**
 * Issue 10, finding 11: a Sello whose chain RPC is down when it starts serves everything
 * that does not need the chain, says `chain_unreachable` in /health, and anchors once the
 * RPC answers, credentials issued during the outage included.
 */
import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { startSello, type RunningSello } from '../../src/server.ts';
import { EMBEDDED_SIGNER_KEY } from '../../src/chain/embedded-chain.ts';
import { credentialHash } from '../../src/credentials/credential-hash.ts';
import { findCredentialAnchor } from '../../src/storage/anchor-batch-repository.ts';
import { makeTempDir, testConfig } from '../support/config.ts';
import { startRpcNode, type RpcNode } from './chain-rpc-node.ts';

const dataDir = makeTempDir();
const running: Array<RunningSello | RpcNode> = [];
afterAll(async () => {
  for (const resource of running.reverse()) await resource.close().catch(() => {});
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const ADMIN = 'test-admin-token-0123456789abcdef';

async function startAgainst(node: RpcNode, extra: Record<string, string> = {}): Promise<RunningSello> {
  const config = testConfig({
    SELLO_DATA_DIR: dataDir,
    PORT: '0',
    CHAIN_RPC_URL: node.url,
    CHAIN_SIGNER_KEY: EMBEDDED_SIGNER_KEY,
    CHAIN_CONFIRMATIONS: '0',
    ANCHOR_BATCH_MAX_WAIT_S: '0.05',
    ...extra,
  });
  const sello = await startSello({ config, announce: () => {}, chainRetry: { firstMs: 100, maxMs: 300 } });
  running.push(sello);
  return sello;
}

async function issue(sello: RunningSello): Promise<Response> {
  return fetch(`${sello.url}/credentials/issue`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      credential: { credentialSubject: { achievement: { name: 'Taller de Git', description: 'Asistió al taller', criteria: { narrative: 'Asistir' } } } },
      options: { recipient: { email: 'ana@example.edu', name: 'Ana Pérez' } },
    }),
  });
}

async function waitFor<T>(probe: () => Promise<T | null | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('starting while the chain RPC is down', () => {
  it('serves pages, LTI and verification, reports chain_unreachable, and anchors once the RPC answers', async () => {
    const node = await startRpcNode();
    running.push(node);
    await node.stop();

    const sello = await startAgainst(node);
    expect(() => sello.chain).toThrow(expect.objectContaining({ code: 'chain_unreachable' }));
    const health = await fetch(`${sello.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({
      status: 'degraded',
      database: { kind: 'embedded', ok: true },
      chain: { kind: 'rpc', chainId: null, contract: null, ok: false, connected: false, error: expect.stringMatching(/^chain_unreachable: /) },
    });
    expect((await fetch(`${sello.url}/`, { headers: { accept: 'text/html' } })).status).toBe(200);
    expect((await fetch(`${sello.url}/lti/keys`)).status).toBe(200);
    expect((await fetch(`${sello.url}/.well-known/did.json`)).status).toBe(200);
    const verify = await fetch(`${sello.url}/credentials/verify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ verifiableCredential: { '@context': ['https://www.w3.org/ns/credentials/v2'], type: ['VerifiableCredential'] } }),
    });
    expect(verify.status).toBeLessThan(500);
    // The first start has no registry to name yet: signing waits for the chain.
    const early = await issue(sello);
    expect(early.status).toBe(503);
    expect(await early.json()).toMatchObject({ code: 'chain_unavailable' });

    await node.start();
    const chain = await sello.chainReady;
    expect(await fetch(`${sello.url}/health`).then((r) => r.json())).toMatchObject({
      status: 'ok',
      chain: { kind: 'rpc', chainId: 31337, contract: chain.contractAddress, ok: true, connected: true },
    });
    const issued = await issue(sello);
    expect(issued.status).toBe(201);
    const { verifiableCredential } = (await issued.json()) as { verifiableCredential: object };
    const hash = credentialHash(verifiableCredential);
    expect(await waitFor(async () => (await findCredentialAnchor(sello.db, hash))?.status === 'anchored' && true)).toBe(true);
    await sello.close();
  }, 120_000);

  it('issues during the outage when CHAIN_ID pins a known registry, and anchors those credentials when the RPC is back', async () => {
    const node = running.find((resource): resource is RpcNode => 'chain' in resource && 'start' in resource)!;
    await node.stop();
    const sello = await startAgainst(node, { CHAIN_ID: '31337' });
    expect(() => sello.chain).toThrow(expect.objectContaining({ code: 'chain_unreachable' }));
    const health = (await fetch(`${sello.url}/health`).then((r) => r.json())) as { chain: { contract: string } };
    expect(health).toMatchObject({ status: 'degraded', chain: { chainId: 31337, contract: expect.stringMatching(/^0x[0-9a-fA-F]{40}$/), ok: false } });

    const issued = await issue(sello);
    expect(issued.status).toBe(201);
    const { verifiableCredential } = (await issued.json()) as { verifiableCredential: { issuer: { otherIdentifier: Array<{ identifier: string }> } } };
    expect(verifiableCredential.issuer.otherIdentifier[0]!.identifier).toBe(`eip155:31337:${health.chain.contract}`);
    const hash = credentialHash(verifiableCredential);
    // Checked meanwhile on everything that does not need the chain; the anchor check says why it fails.
    const verified = await fetch(`${sello.url}/credentials/verify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ verifiableCredential }),
    });
    expect(verified.status).toBe(422);
    const report = (await verified.json()) as { checks: Array<{ id: string; valid: boolean; error?: string }> };
    const check = (id: string) => report.checks.find((one) => one.id === id);
    expect(check('signature')).toMatchObject({ valid: true });
    expect(check('schema')).toMatchObject({ valid: true });
    expect(check('status')).toMatchObject({ valid: true });
    expect(check('anchored_on_chain')).toMatchObject({ valid: false, error: 'chain_unreachable' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await findCredentialAnchor(sello.db, hash))?.status ?? 'unbatched').not.toBe('anchored');

    await node.start();
    expect(await waitFor(async () => (await findCredentialAnchor(sello.db, hash))?.status === 'anchored' && true)).toBe(true);
    expect(sello.chain.contractAddress).toBe(health.chain.contract);
    await sello.close();
  }, 120_000);

  it('still refuses to start on a chain other than CHAIN_ID: only an unreachable endpoint is waited out', async () => {
    const node = running.find((resource): resource is RpcNode => 'chain' in resource && 'start' in resource)!;
    await expect(startAgainst(node, { CHAIN_ID: '1', SELLO_DATA_DIR: makeTempDir() })).rejects.toMatchObject({ code: 'chain_id_mismatch' });
  }, 60_000);
});
