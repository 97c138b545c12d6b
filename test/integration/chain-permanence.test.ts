/**
 * Issue 11's story, end to end: an institution runs Sello on an external EVM node (a
 * chain in another process), issues, revokes, suspends, rotates and revokes keys and
 * anchors; a second Sello under the same domain (same did:web) with its own signer and
 * registry issues a forged "Doctor of Medicine". Then both Sellos stop and their
 * databases are deleted, the domain answers nothing, and `sello verify --rpc` (another
 * process) must tell every credential apart with the chain alone, and so must the
 * verifier page opened from disk in Chromium (screenshots in test-results/verifier/).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Contract, ContractFactory, JsonRpcProvider, Wallet } from 'ethers';
import { createAnchorChecker } from '../../src/chain/anchor-checker.ts';
import { createChainReader } from '../../src/chain/chain-reader.ts';
import { EMBEDDED_SIGNER_KEY } from '../../src/chain/embedded-chain.ts';
import { trustListArtifact } from '../../src/chain/registry-contract.ts';
import { readChainReference } from '../../src/credentials/chain-reference.ts';
import { credentialHash } from '../../src/credentials/credential-hash.ts';
import { startSello, type RunningSello } from '../../src/server.ts';
import { makeTempDir, testConfig } from '../support/config.ts';
import { launchChromium } from '../support/chromium.ts';

const root = path.resolve(import.meta.dirname, '..', '..');
const ADMIN = 'test-admin-token-0123456789abcdef';
// A domain that answers nothing once the institution is gone (and never answered here).
const PUBLIC_URL = 'https://uni.invalid';
type Credential = Record<string, unknown> & { id: string; validFrom: string };
type Report = { verified: boolean; checks: Array<{ id: string; valid: boolean; error?: string; details?: Record<string, unknown> }> };

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(root, 'bin', 'sello.js'), ...args], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', SELLO_DATA_DIR: path.join(work, 'no-such-dir'), LOG_LEVEL: 'silent' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.stdin.end();
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const work = makeTempDir('sello-permanence-');

describe('verifiable when the institution is gone', () => {
  let node: ChildProcess;
  let rpcUrl: string;
  const files: Record<string, string> = {};
  let trustList = '';
  let emptyTrustList = '';
  const forger = Wallet.createRandom();

  async function startInstitution(name: string, signerKey: string): Promise<RunningSello> {
    return startSello({
      config: testConfig({
        SELLO_DATA_DIR: path.join(work, name),
        PORT: '0',
        HOST: '127.0.0.1',
        PUBLIC_URL,
        CHAIN_RPC_URL: rpcUrl,
        CHAIN_SIGNER_KEY: signerKey,
        // The node mines a block per transaction: waiting for more would wait forever.
        CHAIN_CONFIRMATIONS: '0',
        ANCHOR_BATCH_MAX_WAIT_S: '0.5',
      }),
      announce: () => {},
    });
  }

  async function api(sello: RunningSello, method: string, url: string, body?: object): Promise<Record<string, unknown>> {
    const res = await fetch(`http://127.0.0.1:${sello.port}${url}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: body ? JSON.stringify(body) : undefined,
    });
    const json = (await res.json()) as Record<string, unknown>;
    expect(res.status, JSON.stringify(json)).toBeLessThan(300);
    return json;
  }

  const issue = async (sello: RunningSello, achievement: string): Promise<Credential> =>
    (
      await api(sello, 'POST', '/credentials/issue', {
        credential: { credentialSubject: { achievement: { name: achievement, criteria: { narrative: 'Passed the final examination.' } } } },
        options: { recipient: { email: 'ana@uni.example', name: 'Ana' } },
      })
    ).verifiableCredential as Credential;
  const setStatus = (sello: RunningSello, credential: Credential, action: string) =>
    api(sello, 'POST', `/admin/api/credentials/${credential.id.replace('urn:uuid:', '')}/status`, { action, reason: 'registrar decision' });
  const keysOf = async (sello: RunningSello) =>
    (await api(sello, 'GET', '/admin/api/issuers/default/keys')).keys as Array<{ keyId: string; validUntil: string | null }>;
  const rotate = (sello: RunningSello) => api(sello, 'POST', '/admin/api/issuers/default/keys/rotate', { reason: 'yearly rotation' });

  /** Waits until `check` passes, reading the chain from the test process. */
  const eventually = (check: () => Promise<void>) => vi.waitFor(check, { timeout: 60_000, interval: 250 });

  beforeAll(async () => {
    node = spawn(process.execPath, [path.join(root, 'bin', 'run-ts.js'), path.join(root, 'test', 'support', 'rpc-node-process.ts'), forger.address], {
      cwd: root,
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const lines = readline.createInterface({ input: node.stdout! });
    const first = await new Promise<string>((resolve, reject) => {
      lines.once('line', resolve);
      node.once('exit', (code) => reject(new Error(`the chain node exited (${code}) before listening`)));
    });
    rpcUrl = (JSON.parse(first) as { url: string }).url;
    const reader = createChainReader({ rpcUrl });
    const checker = createAnchorChecker({ rpcUrl });

    // The institution.
    const institution = await startInstitution('institution', EMBEDDED_SIGNER_KEY);
    const reference = `eip155:31337:${institution.chain.contractAddress}`;
    const [firstKey] = await keysOf(institution);
    const byRevokedKey = await issue(institution, 'Bachelor of Science');
    await rotate(institution);
    await api(institution, 'POST', '/admin/api/issuers/default/keys/revoke', { keyId: firstKey!.keyId, reason: 'key leaked' });
    const valid = await issue(institution, 'Master of Science');
    const revoked = await issue(institution, 'Bachelor of Arts');
    const suspended = await issue(institution, 'Certificate in Nursing');
    await setStatus(institution, revoked, 'revoke');
    await setStatus(institution, suspended, 'suspend');
    // A credential signed in the same second as the rotation that closes its key.
    let sameSecond: Credential | null = null;
    for (let attempt = 0; attempt < 10 && !sameSecond; attempt += 1) {
      const candidate = await issue(institution, 'Diploma in Engineering');
      const signedWith = (candidate.proof as Array<{ verificationMethod: string }>)[0]!.verificationMethod;
      await rotate(institution);
      const closed = (await keysOf(institution)).find((key) => key.keyId === signedWith)!;
      if (closed.validUntil && closed.validUntil.slice(0, 19) === candidate.validFrom.slice(0, 19) && !closed.validUntil.endsWith('.000Z')) sameSecond = candidate;
    }
    expect(sameSecond, 'a credential signed in the same second as a rotation').not.toBeNull();
    const issued = { valid, revoked, suspended, byRevokedKey, sameSecond: sameSecond! };
    await eventually(async () => {
      for (const credential of Object.values(issued)) {
        const result = await checker({
          credentialHash: credentialHash(credential),
          chainId: 31337,
          contract: institution.chain.contractAddress,
          issuerDid: String((credential.issuer as { id: string }).id),
          verificationMethod: (credential.proof as Array<{ verificationMethod: string }>)[0]!.verificationMethod,
          validFrom: credential.validFrom,
        });
        expect(result.error ?? 'anchored').not.toBe('not_anchored');
      }
      const statuses = await Promise.all(
        [revoked, suspended].map((credential) => reader.credentialStatus({ chainId: 31337, contract: institution.chain.contractAddress, credentialHash: credentialHash(credential) })),
      );
      expect(statuses.map((status) => [status.revoked, status.suspended])).toEqual([
        [true, false],
        [false, true],
      ]);
      const binding = await reader.issuerBinding({ chainId: 31337, did: String((valid.issuer as { id: string }).id) });
      expect(binding?.registry).toBe(institution.chain.contractAddress);
    });
    const didDocument = await (await fetch(`http://127.0.0.1:${institution.port}/.well-known/did.json`)).json();
    expect(JSON.stringify(didDocument)).toContain(reference);

    // Someone else under the same domain: same did:web, own signer, own registry.
    const forgery = await startInstitution('forgery', forger.privateKey);
    expect(forgery.chain.contractAddress).not.toBe(institution.chain.contractAddress);
    const forged = await issue(forgery, 'Doctor of Medicine');
    expect((forged.issuer as { id: string }).id).toBe((valid.issuer as { id: string }).id);
    expect(readChainReference(forged)?.contract).toBe(forgery.chain.contractAddress);
    await eventually(async () => {
      const result = await checker({
        credentialHash: credentialHash(forged),
        chainId: 31337,
        contract: forgery.chain.contractAddress,
        issuerDid: String((forged.issuer as { id: string }).id),
        verificationMethod: (forged.proof as Array<{ verificationMethod: string }>)[0]!.verificationMethod,
        validFrom: forged.validFrom,
      });
      expect(result).toMatchObject({ valid: true });
    });

    // The institution is gone: servers stopped, databases deleted.
    await forgery.close();
    await institution.close();
    fs.rmSync(path.join(work, 'institution'), { recursive: true, force: true });
    fs.rmSync(path.join(work, 'forgery'), { recursive: true, force: true });

    const write = (name: string, content: unknown) => {
      files[name] = path.join(work, `${name}.json`);
      fs.writeFileSync(files[name]!, JSON.stringify(content));
    };
    for (const [name, credential] of Object.entries(issued)) write(name, credential);
    write('tampered', { ...valid, name: 'Master of Science with honours' });
    write('forged', forged);
    write('did', didDocument);

    // A consortium lists the institution, from its own key, long after.
    const provider = new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
    const council = new Wallet(forger.privateKey, provider);
    const deployList = async (name: string) => {
      const deployed = await new ContractFactory(trustListArtifact.abi, trustListArtifact.bytecode, council).deploy(name, council.address);
      await deployed.waitForDeployment();
      return deployed.getAddress();
    };
    const listAddress = await deployList('Regional Council of Universities');
    await (await (new Contract(listAddress, trustListArtifact.abi, council).getFunction('addMember')(String((valid.issuer as { id: string }).id)))).wait();
    trustList = `eip155:31337:${listAddress}`;
    emptyTrustList = `eip155:31337:${await deployList('Council of Elsewhere')}`;
    provider.destroy();
  }, 240_000);

  afterAll(() => {
    node?.kill('SIGTERM');
    fs.rmSync(work, { recursive: true, force: true });
  });

  /** The CLI's reports with `--rpc` alone, by file: the verifier page must give the same. */
  const cliReports: Record<string, Report> = {};

  async function verify(name: string, extra: string[] = []): Promise<{ code: number | null; report: Report; check: (id: string) => Report['checks'][number] | undefined }> {
    const result = await run(['verify', files[name]!, '--rpc', rpcUrl, '--json', ...extra]);
    expect(result.stderr).toBe('');
    const report = JSON.parse(result.stdout) as Report;
    if (extra.length === 0) cliReports[name] = report;
    return { code: result.code, report, check: (id) => report.checks.find((check) => check.id === id) };
  }

  it('verifies a valid credential with its key and status from the chain', async () => {
    const { code, report, check } = await verify('valid');
    expect(report.verified).toBe(true);
    expect(code).toBe(0);
    expect(check('signature')).toMatchObject({ valid: true, details: { keySource: 'chain' } });
    expect(check('issuer_key')).toMatchObject({ valid: true, details: { keySource: 'chain' } });
    expect(check('status')).toMatchObject({ valid: true, details: { source: 'chain' } });
    expect(check('status')!.details!.blockNumber).toBeGreaterThan(0);
    expect(check('issuer_registered')).toMatchObject({ valid: true });
    expect(check('anchored_on_chain')).toMatchObject({ valid: true });
  });

  it('does not verify a revoked credential: revoked_on_chain', async () => {
    const { code, check } = await verify('revoked');
    expect(code).toBe(1);
    expect(check('anchored_on_chain')).toMatchObject({ valid: false, error: 'revoked_on_chain' });
    expect(check('status')).toMatchObject({ valid: false, error: 'revoked', details: { source: 'chain' } });
  });

  it('does not verify a suspended credential: suspended', async () => {
    const { code, check } = await verify('suspended');
    expect(code).toBe(1);
    expect(check('status')).toMatchObject({ valid: false, error: 'suspended', details: { source: 'chain' } });
  });

  it('does not verify a tampered credential', async () => {
    const { code, check } = await verify('tampered');
    expect(code).toBe(1);
    expect(check('signature')).toMatchObject({ valid: false });
    expect(check('anchored_on_chain')).toMatchObject({ valid: false, error: 'not_anchored' });
  });

  it('does not verify the second registry claiming the same DID: issuer_registered', async () => {
    const { code, check } = await verify('forged');
    expect(code).toBe(1);
    expect(check('issuer_registered')).toMatchObject({ valid: false, error: 'registry_not_bound' });
    // Its own registry vouches for its own key and anchor: only the directory tells it apart.
    expect(check('anchored_on_chain')).toMatchObject({ valid: true });
    // Nor with the real institution's saved DID document.
    const withDocument = await verify('forged', ['--did-document', files.did!]);
    expect(withDocument.code).toBe(1);
    expect(withDocument.check('issuer_registered')).toMatchObject({ valid: false, error: 'registry_not_bound' });
  });

  it('verifies a credential signed in the same second as the rotation that closed its key', async () => {
    const { code, report, check } = await verify('sameSecond');
    expect(check('issuer_key')).toMatchObject({ valid: true });
    expect(report.verified).toBe(true);
    expect(code).toBe(0);
  });

  it('does not verify a credential signed with a key revoked later: key_revoked', async () => {
    const { code, check } = await verify('byRevokedKey');
    expect(code).toBe(1);
    expect(check('issuer_key')).toMatchObject({ valid: false, error: 'key_revoked' });
  });

  it('reports the consortium trust lists the issuer is a member of', async () => {
    const { code, check } = await verify('valid', ['--trust-list', trustList, '--trust-list', emptyTrustList]);
    expect(code).toBe(0);
    expect(check('trust_list')).toMatchObject({ valid: true, details: { memberOf: ['Regional Council of Universities'], message: 'Member of: Regional Council of Universities' } });
    const text = await run(['verify', files.valid!, '--rpc', rpcUrl, '--trust-list', trustList]);
    expect(text.stdout).toContain('✓ trust_list: Member of: Regional Council of Universities');
    const elsewhere = await verify('valid', ['--trust-list', emptyTrustList]);
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.check('trust_list')).toMatchObject({ valid: false, error: 'not_on_trust_list' });
  });

  it('the verifier page, opened from disk in Chromium, gives every credential the verdict and checks of sello verify', async () => {
    const built = path.join(work, 'verifier');
    const shots = path.join(root, 'test-results', 'verifier');
    fs.mkdirSync(shots, { recursive: true });
    await promisify(execFile)(process.execPath, [path.join(root, 'scripts', 'build-verifier.mjs'), '--out', built], { cwd: root });
    const outcome = (report: Report) => ({
      verified: report.verified,
      checks: report.checks.map((check) => ({
        id: check.id,
        valid: check.valid,
        error: check.error ?? null,
        skipped: (check as { skipped?: boolean }).skipped ?? false,
        // Where the key and the status came from: the chain, for both.
        keySource: check.details?.keySource ?? null,
        source: check.details?.source ?? null,
      })),
    });
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ locale: 'en-US' });
      await page.goto(pathToFileURL(path.join(built, 'sello-verifier.html')).href);
      await page.fill('#rpc-url', rpcUrl);
      const verifyOnPage = async (file: string): Promise<Report> => {
        const before = await page.textContent('#report-json');
        await page.setInputFiles('#credential-file', file);
        await page.waitForFunction(
          (previous) => {
            const doc = (globalThis as unknown as { document: { body: { dataset: { state?: string } }; getElementById(id: string): { textContent: string } } }).document;
            return doc.body.dataset.state === 'done' && doc.getElementById('report-json').textContent !== previous;
          },
          before,
          { timeout: 60_000 },
        );
        return JSON.parse((await page.textContent('#report-json'))!) as Report;
      };
      const cases = ['valid', 'revoked', 'suspended', 'tampered', 'forged', 'sameSecond', 'byRevokedKey'];
      for (const name of cases) {
        cliReports[name] ??= (await verify(name)).report;
        expect(outcome(await verifyOnPage(files[name]!)), name).toEqual(outcome(cliReports[name]!));
        await page.screenshot({ path: path.join(shots, `story-${name}.png`), fullPage: true });
      }
      expect(cases.map((name) => cliReports[name]!.verified)).toEqual([true, false, false, false, false, true, false]);
      // With the consortium's lists: "Member of" on the page as in the CLI.
      await page.click('#more summary');
      await page.fill('#trust-lists', `${trustList}\n${emptyTrustList}`);
      const listed = await verifyOnPage(files.valid!);
      expect(listed.checks.find((check) => check.id === 'trust_list')).toMatchObject({ valid: true, details: { message: 'Member of: Regional Council of Universities' } });
      expect(await page.textContent('#checks li[data-check-id="trust_list"]')).toContain('Member of: Regional Council of Universities');
    } finally {
      await browser.close();
    }
  });
});
