/**
 * Issue 11, "a verifier for people, without Sello": the verifier page, built as `npm ci`
 * builds it, opened from a file:// URL in Chromium, must give the same verdict and the
 * same checks as `sello verify --json` for a Sello-issued credential (JSON), its baked
 * PNG badge and a tampered copy, with the chain read through Sello's own `/chain/rpc`.
 * The page Sello serves at /verifier runs the same code under its Content-Security-Policy.
 * Screenshots go to test-results/verifier/.
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createAnchorChecker } from '../../src/chain/anchor-checker.ts';
import { readChainReference } from '../../src/credentials/chain-reference.ts';
import { credentialHash } from '../../src/credentials/credential-hash.ts';
import { startSello, type RunningSello } from '../../src/server.ts';
import { makeTempDir, testConfig } from '../support/config.ts';
import { freePort } from '../support/free-port.ts';
import { launchChromium } from '../support/chromium.ts';

// The page's own globals, as the callbacks below see them in the browser (this project's types are Node's).
declare const document: {
  body: { dataset: Record<string, string | undefined> };
  documentElement: { scrollWidth: number };
  getElementById(id: string): { textContent: string | null; hidden: boolean } | null;
};
declare const innerWidth: number;

const root = path.resolve(import.meta.dirname, '..', '..');
const shots = path.join(root, 'test-results', 'verifier');
const ADMIN = 'test-admin-token-0123456789abcdef';

interface Report {
  verified: boolean;
  checks: Array<{ id: string; valid: boolean; error?: string; skipped?: boolean; details?: Record<string, unknown> }>;
  credentialHash?: string;
}

/** What must be equal between the CLI and the page: the verdict and every check's outcome. */
const outcome = (report: Report) => ({
  verified: report.verified,
  credentialHash: report.credentialHash,
  checks: report.checks.map((check) => ({ id: check.id, valid: check.valid, error: check.error ?? null, skipped: check.skipped ?? false })),
});

function sello(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(root, 'bin', 'sello.js'), ...args], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.stdin.end();
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Drops `file` on the page (as the file picker would), waits for the verdict and reads it from the page. */
async function verifyOnPage(page: Page, file: string, shot: string): Promise<Report> {
  const before = await page.evaluate(() => document.getElementById('report-json')!.textContent);
  await page.setInputFiles('#credential-file', file);
  await page.waitForFunction(
    (previous) => document.body.dataset.state === 'done' && document.getElementById('report-json')!.textContent !== previous,
    before,
    { timeout: 60_000 },
  );
  await page.screenshot({ path: path.join(shots, shot), fullPage: true });
  const shown = await page.$$eval('#checks li', (items) =>
    items.map((item) => ({ id: item.dataset.checkId, state: item.dataset.state, error: item.dataset.error ?? null })),
  );
  const report = JSON.parse((await page.textContent('#report-json'))!) as Report;
  // What a person sees is the report: one line per check, same state and code.
  expect(shown).toEqual(report.checks.map((check) => ({ id: check.id, state: check.skipped ? 'skipped' : check.valid ? 'passed' : 'failed', error: check.error ?? null })));
  expect(await page.getAttribute('#verdict', 'data-verified')).toBe(String(report.verified));
  return report;
}

describe('the verifier page, opened from disk, agrees with sello verify', () => {
  const work = makeTempDir('sello-verifier-');
  // Where `npm ci` (the prepare script) puts it, and where Sello serves it from.
  const built = path.join(root, 'dist', 'verifier');
  let running: RunningSello;
  let url: string;
  let rpcUrl: string;
  let browser: Browser;
  const files = { json: path.join(work, 'credential.json'), png: path.join(work, 'badge.png'), tampered: path.join(work, 'tampered.json') };

  beforeAll(async () => {
    fs.mkdirSync(shots, { recursive: true });
    const started = performance.now();
    await promisify(execFile)(process.execPath, [path.join(root, 'scripts', 'build-verifier.mjs')], { cwd: root });
    console.log(`verifier page built in ${Math.round(performance.now() - started)} ms`);

    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    running = await startSello({
      config: testConfig({ SELLO_DATA_DIR: path.join(work, 'sello'), PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: url, ANCHOR_BATCH_MAX_WAIT_S: '0.2' }),
      announce: () => {},
    });
    rpcUrl = `${url}/chain/rpc`;
    const issued = await fetch(`${url}/credentials/issue`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        credential: { credentialSubject: { achievement: { name: 'Introducción a la química', criteria: { narrative: 'Aprobó el examen final.' } } } },
        options: { recipient: { email: 'ana@uni.example', name: 'Ana Pérez' } },
      }),
    });
    expect(issued.status).toBe(201);
    const credential = ((await issued.json()) as { verifiableCredential: Record<string, unknown> & { id: string } }).verifiableCredential;
    fs.writeFileSync(files.json, JSON.stringify(credential, null, 2));
    const tampered = structuredClone(credential) as unknown as { credentialSubject: { achievement: { name: string } } };
    tampered.credentialSubject.achievement.name = 'Doctorado en química';
    fs.writeFileSync(files.tampered, JSON.stringify(tampered, null, 2));
    const png = await fetch(`${url}/credentials/${credential.id.replace('urn:uuid:', '')}/badge.png`);
    expect(png.status).toBe(200);
    fs.writeFileSync(files.png, Buffer.from(await png.arrayBuffer()));

    // Anchored before anyone checks: otherwise the CLI and the page could see different chains.
    const reference = readChainReference(credential)!;
    const checker = createAnchorChecker({ rpcUrl });
    await vi.waitFor(
      async () => {
        const anchored = await checker({ credentialHash: credentialHash(credential), chainId: reference.chainId, contract: reference.contract, issuerDid: '', verificationMethod: '', validFrom: '' });
        expect(anchored.error).not.toBe('not_anchored');
      },
      { timeout: 60_000, interval: 250 },
    );
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await running?.close();
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('gives the verdict and checks of sello verify --json for a credential JSON, its baked PNG and a tampered copy', async () => {
    const page = await browser.newPage({ locale: 'en-US' });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    // Nothing but the file itself, the issuer (DID document, status lists) and the RPC endpoint.
    const requested = new Set<string>();
    page.on('request', (request) => requested.add(new URL(request.url()).origin));
    await page.goto(pathToFileURL(path.join(built, 'sello-verifier.html')).href);
    await page.fill('#rpc-url', rpcUrl);

    const cases = [
      { name: 'credential JSON', file: files.json, shot: 'credential-json.png', verified: true },
      { name: 'baked PNG', file: files.png, shot: 'baked-png.png', verified: true },
      { name: 'tampered credential', file: files.tampered, shot: 'tampered.png', verified: false },
    ];
    const reports: Report[] = [];
    for (const scenario of cases) {
      const cli = await sello(['verify', scenario.file, '--rpc', rpcUrl, '--json']);
      expect(cli.code, `${scenario.name}: ${cli.stderr}`).toBe(scenario.verified ? 0 : 1);
      const expected = JSON.parse(cli.stdout) as Report;
      const shown = await verifyOnPage(page, scenario.file, scenario.shot);
      expect(outcome(shown), scenario.name).toEqual(outcome(expected));
      expect(shown.verified, scenario.name).toBe(scenario.verified);
      reports.push(shown);
    }
    // The verified ones passed every check that applies, the chain's included; the tampered one fails its signature.
    expect(reports[0]!.checks.filter((check) => !check.valid || check.skipped).map((check) => check.id)).toEqual([]);
    expect(reports[2]!.checks.find((check) => check.id === 'signature')).toMatchObject({ valid: false, error: 'invalid_signature' });
    expect(errors).toEqual([]);
    expect([...requested].filter((origin) => origin !== 'null')).toEqual([url]);
    await page.close();
  });

  it('speaks Spanish when the browser does, and switches language on request', async () => {
    const page = await browser.newPage({ locale: 'es-ES' });
    await page.goto(pathToFileURL(path.join(built, 'sello-verifier.html')).href);
    expect(await page.getAttribute('html', 'lang')).toBe('es');
    expect(await page.textContent('h1')).toBe('Verificar una credencial');
    await page.fill('#rpc-url', rpcUrl);
    await verifyOnPage(page, files.tampered, 'tampered-es.png');
    expect(await page.textContent('#verdict-title')).toContain('No verificada');
    expect(await page.textContent('#checks li[data-check-id="signature"]')).toContain('el contenido cambió después de la firma');
    // Dates as the reader writes them, not the credential's ISO timestamps.
    expect(await page.textContent('#summary')).not.toMatch(/\d{4}-\d\d-\d\dT/);
    expect(await page.textContent('#summary')).toMatch(/\d{1,2} de [a-z]+ de \d{4}/);
    await page.click('button[data-lang="en"]');
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.textContent('#verdict-title')).toContain('Not verified');
    expect(await page.textContent('#summary')).toMatch(/[A-Z][a-z]+ \d{1,2}, \d{4}/);
    // An endpoint that is no URL: the error, and no verdict left over from the inputs before it.
    await page.fill('#rpc-url', 'not a url');
    await page.click('#verify');
    await expect.poll(() => page.textContent('#input-error')).toContain('http');
    expect(await page.isVisible('#result')).toBe(false);
    // No endpoint: the chain checks are skipped, and the page points at its own field, not at the CLI.
    await page.fill('#rpc-url', '');
    await page.click('#verify');
    await page.waitForFunction(() => document.body.dataset.state === 'done' && !document.getElementById('result')!.hidden, null, { timeout: 60_000 });
    expect(await page.textContent('#checks li[data-check-id="anchored_on_chain"]')).toContain('give a blockchain node above');
    expect(await page.textContent('#checks li[data-check-id="anchored_on_chain"]')).not.toContain('sello verify');
    await page.close();
  });

  it('says in Spanish why a file is no credential, as the /verify page does, with no English reason', async () => {
    const page = await browser.newPage({ locale: 'es-ES' });
    await page.goto(`${url}/verifier`);
    const notes = path.join(work, 'notas.txt');
    fs.writeFileSync(notes, 'unas notas');
    await page.setInputFiles('#credential-file', notes);
    await expect.poll(() => page.textContent('#input-error')).toBe('Esto no es una credencial: se esperaba JSON de Open Badges, o una insignia PNG o SVG con la credencial.');
    // A PNG with no credential baked in (1×1, transparent).
    const plain = path.join(work, 'sin-credencial.png');
    fs.writeFileSync(plain, Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64'));
    await page.setInputFiles('#credential-file', plain);
    await expect.poll(() => page.textContent('#input-error')).toBe('Esta imagen no lleva ninguna credencial: no es una Open Badge con credencial incorporada.');
    await page.close();
  });

  it('refuses a file that is no credential with a message, and suggests the deployment chain when served by Sello', async () => {
    const page = await browser.newPage({ locale: 'en-US' });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
    const served = await page.goto(`${url}/verifier`);
    // Served under a CSP with no inline code and no eval: the page must still verify.
    expect(served!.headers()['content-security-policy']).toContain("script-src 'self'");
    const notACredential = path.join(work, 'notes.txt');
    fs.writeFileSync(notACredential, 'just some notes');
    await page.setInputFiles('#credential-file', notACredential);
    await expect.poll(() => page.textContent('#input-error')).toContain('This is not a credential');
    await page.setInputFiles('#credential-file', files.png);
    await page.waitForFunction(() => document.body.dataset.state === 'done', null, { timeout: 60_000 });
    // The RPC field was empty: the page filled in this deployment's endpoint for the credential's chain.
    expect(await page.inputValue('#rpc-url')).toBe(rpcUrl);
    expect(await page.getAttribute('#verdict', 'data-verified')).toBe('true');
    await page.screenshot({ path: path.join(shots, 'served.png'), fullPage: true });
    expect(errors).toEqual([]);
    // On a phone (360 px) the result, hashes and addresses included, wraps instead of scrolling sideways.
    await page.setViewportSize({ width: 360, height: 800 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth - innerWidth)).toBe(0);
    await page.screenshot({ path: path.join(shots, 'served-360px.png'), fullPage: true });

    const download = await fetch(`${url}/verifier/download`);
    expect(download.headers.get('content-disposition')).toBe('attachment; filename="sello-verifier.html"');
    const html = await download.text();
    expect(html).toContain(`<meta name="sello-deployment" content="{&quot;chainId&quot;:31337,&quot;rpcUrl&quot;:&quot;${rpcUrl}&quot;}">`);
    expect(html).not.toMatch(/<script src=|<link rel="stylesheet"/);
    await page.close();
  });
});
