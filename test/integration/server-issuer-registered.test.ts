/**
 * A running Sello claims its issuer DID in the chain's issuer directory, names its
 * registry in its DID document, and its own verification checks the binding.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startSello, type RunningSello } from '../../src/server.ts';
import { makeTempDir, testConfig } from '../support/config.ts';

const admin = { authorization: 'Bearer test-admin-token-0123456789abcdef', 'content-type': 'application/json' };

describe('a running Sello and the issuer directory', () => {
  const dataDir = makeTempDir();
  let sello: RunningSello;
  let base: string;
  beforeAll(async () => {
    sello = await startSello({ config: testConfig({ SELLO_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', ANCHOR_BATCH_MAX_WAIT_S: '0.5' }), announce: () => {} });
    base = `http://127.0.0.1:${sello.port}`;
  });
  afterAll(async () => {
    await sello.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('names its registry in the DID document and passes issuer_registered for its own credentials', async () => {
    const did = (await (await fetch(`${base}/.well-known/did.json`)).json()) as { service?: Array<{ type: string; serviceEndpoint: string }> };
    expect(did.service).toEqual([expect.objectContaining({ type: 'SelloCredentialRegistry', serviceEndpoint: sello.chain.chainReference })]);
    const issued = await fetch(`${base}/credentials/issue`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({
        credential: { credentialSubject: { achievement: { name: 'Python', criteria: { narrative: 'Passed.' } } } },
        options: { recipient: { email: 'ana@example.edu' } },
      }),
    });
    expect(issued.status).toBe(201);
    const { verifiableCredential } = (await issued.json()) as { verifiableCredential: object };
    await vi.waitFor(
      async () => {
        const res = await fetch(`${base}/credentials/verify`, { method: 'POST', headers: admin, body: JSON.stringify({ verifiableCredential }) });
        const report = (await res.json()) as { verified: boolean; checks: Array<{ id: string; valid: boolean; details?: Record<string, unknown> }> };
        expect(report.checks.find((check) => check.id === 'issuer_registered')).toMatchObject({
          valid: true,
          details: { registry: sello.chain.chainReference, controller: sello.chain.signer, didDocument: 'names_registry' },
        });
        expect(report.verified).toBe(true);
      },
      { timeout: 30_000, interval: 250 },
    );
  });
});
