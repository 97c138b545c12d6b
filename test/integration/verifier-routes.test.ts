/**
 * How Sello serves the verifier page (/verifier, its files, /verifier/download), and the
 * cross-origin reads the page needs from any Sello: a verifier page on another origin,
 * or opened from disk, reads DID documents, status lists and /chain/rpc.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedChain, type EmbeddedChain } from '../../src/chain/embedded-chain.ts';
import { createLogger } from '../../src/logger.ts';
import { buildApp } from '../../src/web/app.ts';
import { chainRpcRouter } from '../../src/web/public/chain-rpc.ts';
import { VERIFIER_PAGE_CSP, verifierRouter } from '../../src/web/public/verifier.ts';
import { makeTempDir } from '../support/config.ts';
import { ADMIN, makeCredentialsApp } from './credentials-fixture.ts';

const root = path.resolve(import.meta.dirname, '..', '..');
type App = Awaited<ReturnType<typeof makeCredentialsApp>>;

describe('the verifier page as Sello serves it', () => {
  const built = makeTempDir('sello-verifier-build-');
  let t: App;
  let chain: EmbeddedChain;
  let app: ReturnType<typeof buildApp>;
  let missing: ReturnType<typeof buildApp>;

  beforeAll(async () => {
    await promisify(execFile)(process.execPath, [path.join(root, 'scripts', 'build-verifier.mjs'), '--out', built], { cwd: root });
    t = await makeCredentialsApp({ env: { PUBLIC_URL: 'https://sello.example/badges' } });
    chain = await startEmbeddedChain();
    const base = {
      config: t.config,
      db: t.db,
      log: createLogger({ level: 'silent' }),
      secrets: { adminToken: ADMIN, keyEncryptionKey: t.config.secrets.keyEncryptionKey! },
      version: 'test',
    };
    app = buildApp({
      ...base,
      routers: [
        verifierRouter({ publicUrl: t.config.publicUrl, chainId: () => chain.chainId, assetsDir: built }),
        chainRpcRouter({ db: t.db, rpc: chain.request, publicUrl: t.config.publicUrl }),
      ],
    });
    missing = buildApp({ ...base, routers: [verifierRouter({ publicUrl: t.config.publicUrl, chainId: () => null, assetsDir: path.join(built, 'not-built') })] });
  });
  afterAll(async () => {
    await chain?.close();
    await t?.close();
    fs.rmSync(built, { recursive: true, force: true });
  });

  it('serves the page under its own CSP, with script and stylesheet as files under the public path, and the chain it anchors on', async () => {
    const page = await request(app).get('/verifier').expect(200);
    expect(page.headers['content-security-policy']).toBe(VERIFIER_PAGE_CSP);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.text).toMatch(/<script src="\/badges\/verifier\/verifier\.js\?v=[0-9a-f]{12}"><\/script>/);
    expect(page.text).not.toMatch(/<script>|<style>/);
    expect(page.text).toContain('{&quot;chainId&quot;:31337,&quot;rpcUrl&quot;:&quot;https://sello.example/badges/chain/rpc&quot;}');
    const script = await request(app).get('/verifier/verifier.js').expect(200);
    expect(script.headers['content-type']).toMatch(/^text\/javascript/);
    expect(script.text).toBe(fs.readFileSync(path.join(built, 'verifier.js'), 'utf8'));
    await request(app).get('/verifier/verifier.css').expect('content-type', /^text\/css/).expect(200);
  });

  it('hands out the self-contained page as a download, script and style inline', async () => {
    const download = await request(app).get('/verifier/download').expect(200);
    expect(download.headers['content-disposition']).toBe('attachment; filename="sello-verifier.html"');
    expect(download.text).toContain('<script>\n');
    expect(download.text).toContain('&quot;chainId&quot;:31337');
    expect(download.text.length).toBeGreaterThan(fs.readFileSync(path.join(built, 'verifier.js'), 'utf8').length);
  });

  it('answers 503 service_unavailable, saying how to build it, when the page was never built', async () => {
    const res = await request(missing).get('/verifier').set('accept', 'application/json').expect(503);
    expect(res.body).toMatchObject({ code: 'service_unavailable' });
  });

  it('lets pages on any origin read /chain/rpc: the preflight of a JSON POST, then the call', async () => {
    const preflight = await request(app)
      .options('/chain/rpc')
      .set('origin', 'null')
      .set('access-control-request-method', 'POST')
      .set('access-control-request-headers', 'content-type')
      .expect(204);
    expect(preflight.headers).toMatchObject({ 'access-control-allow-origin': '*', 'access-control-allow-methods': 'POST', 'access-control-allow-headers': 'content-type' });
    const call = await request(app).post('/chain/rpc').set('origin', 'null').send({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }).expect(200);
    expect(call.headers['access-control-allow-origin']).toBe('*');
    expect(call.body.result).toBe('0x7a69');
  });

  it("lets pages on any origin read the issuer's DID document and its status lists", async () => {
    const issued = await request(t.app)
      .post('/credentials/issue')
      .set('authorization', `Bearer ${ADMIN}`)
      .send({ options: { achievementId: t.achievement.id, recipient: { email: 'ana@uni.example' } } })
      .expect(201);
    const statusUrl = new URL(issued.body.verifiableCredential.credentialStatus.statusListCredential as string);
    const list = await request(t.app).get(statusUrl.pathname.replace(/^\/badges/, '')).set('origin', 'null').expect(200);
    expect(list.headers['access-control-allow-origin']).toBe('*');
    const did = await request(t.app).get('/.well-known/did.json').set('origin', 'https://verifier.example').expect(200);
    expect(did.headers['access-control-allow-origin']).toBe('*');
  });
});
