import fs from 'node:fs';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createAchievementRepository } from '../../src/storage/achievement-repository.ts';
import { createIssuerRepository } from '../../src/storage/issuer-repository.ts';
import { createVerificationCache, type VerificationCache } from '../../src/credentials/verification-cache.ts';
import { setCredentialStatus } from '../../src/issuance/credential-status.ts';
import type { RenderedCredentialPage } from '../../src/web/credential-routes.ts';
import type { VerificationReport } from '../../src/credentials/verify.ts';
import { catalogKeys } from '../../src/web/i18n.ts';
import { ADMIN, makeCredentialsApp } from './credentials-fixture.ts';

/** Every error code the verifier and the anchor checker write, read from their source. */
const errorCodes = [...new Set(
  ['src/credentials/verify.ts', 'src/chain/anchor-checker.ts', 'src/credentials/chain-reader.ts', 'src/credentials/did.ts']
    .filter((file) => fs.existsSync(file))
    .flatMap((file) => [...fs.readFileSync(file, 'utf8').matchAll(/(?:error|code): '([a-z_]+)'/g)].map((m) => m[1]!)),
)];

/** Every check id `verifyCredential` can report, and every error code it (or the anchor checker) can give. */
const CHECK_IDS = ['schema', 'signature', 'issuer_key', 'status', 'validity_period', 'anchored_on_chain', 'issuer_registered', 'trust_list'];

describe('the public credential page', () => {
  // The issuer's key is made at 08:00; credentials say they were issued at 10:00; pages are seen at noon.
  let clockAt = new Date('2026-03-05T08:00:00Z').getTime();
  const now = () => new Date(clockAt);
  // The app's own caches, counted from outside: a report stored is a verification run,
  // a page found is a view served without rendering (or verifying) anything.
  const reports = createVerificationCache<VerificationReport>({ now });
  const pages = createVerificationCache<RenderedCredentialPage>({ now, ttlMs: 10 * 60_000 }); // as the router keeps them
  let verifications = 0;
  let pageHits = 0;
  let pageLookups = 0;
  const countingReports: VerificationCache<VerificationReport> = {
    get: reports.get,
    clear: reports.clear,
    get size() {
      return reports.size;
    },
    set: (...args) => {
      verifications += 1;
      reports.set(...args);
    },
  };
  const countingPages: VerificationCache<RenderedCredentialPage> = {
    set: pages.set,
    clear: pages.clear,
    get size() {
      return pages.size;
    },
    get: (key, fingerprint) => {
      pageLookups += 1;
      const value = pages.get(key, fingerprint);
      if (value) pageHits += 1;
      return value;
    },
  };
  let t: Awaited<ReturnType<typeof makeCredentialsApp>>;
  const issue = async (options: Record<string, unknown> = {}, achievementId?: string) => {
    const res = await request(t.app)
      .post('/credentials/issue')
      .set('authorization', `Bearer ${ADMIN}`)
      .send({ options: { achievementId: achievementId ?? t.achievement.id, recipient: { email: 'ana@example.edu', name: 'Ana Pérez' }, validFrom: '2026-03-05T10:00:00Z', ...options } })
      .expect(201);
    return String(res.body.verifiableCredential.id).replace('urn:uuid:', '');
  };
  const page = (uuid: string, lang = 'en') => request(t.app).get(`/credentials/${uuid}?lang=${lang}`).expect(200);
  const status = (uuid: string, action: string, reason: string) =>
    request(t.app).post(`/admin/api/credentials/${uuid}/status`).set('authorization', `Bearer ${ADMIN}`).send({ action, reason }).expect(200);

  beforeAll(async () => {
    t = await makeCredentialsApp({ now, verificationCache: countingReports, pageCache: countingPages, env: { CHAIN_EXPLORER_URL: 'https://explorer.example/' } });
    clockAt = new Date('2026-03-05T12:00:00Z').getTime();
  });
  afterAll(() => t.close());

  it('shows a valid credential with the institution, localized dates, alignments, tags and a plain line per check', async () => {
    const uuid = await issue({ evidence: [{ id: 'https://uni.example/work/1', name: 'Final project', narrative: 'A working parser' }] });
    const en = await page(uuid);
    expect(en.text).toContain('Verified credential');
    expect(en.text).toContain('<a href="https://uni.example" rel="noopener">Universidad de Ejemplo</a>');
    expect(en.text).toContain('March 5, 2026');
    expect(en.text).not.toContain('2026-03-05T10:00:00Z</time>');
    expect(en.text).toContain('Programming');
    expect(en.text).toContain('python');
    expect(en.text).toContain('Final project');
    expect(en.text).toContain('nothing was changed since the issuer signed it');
    expect(en.text).toContain('<details class="cred-tech">');
    expect(en.text).toContain('Add to LinkedIn profile');
    expect(en.text).not.toMatch(/cred\.(error|check|ok|skip|fail)\./);
    const es = await page(uuid, 'es');
    expect(es.text).toContain('5 de marzo de 2026');
    expect(es.text).toContain('Credencial verificada');
    expect(es.text).toContain('Detalles técnicos');
    expect(es.text).not.toMatch(/cred\.(error|check|ok|skip|fail)\./);
    // The achievement's type (OB 3.0 achievementType) is a word of the page, in its language.
    expect(en.text).toContain('<p class="muted cred-type">Badge</p>');
    expect(es.text).toContain('<p class="muted cred-type">Insignia</p>');
  });

  it("says why a page failed in the browser's language, whatever the error, and names a credential that is not there as such", async () => {
    const spanish = (path: string) => request(t.app).get(path).set('accept', 'text/html').set('accept-language', 'es');
    const message = (html: string) => /<h1>[^<]*<\/h1>\s*<p>([^<]*)<\/p>/.exec(html)?.[1] ?? '';
    // An employer's mistyped link to a credential.
    const missing = await spanish('/credentials/00000000-0000-4000-8000-000000000000').expect(404);
    expect(message(missing.text)).toBe('Ninguna credencial tiene esta dirección: comprueba el enlace que te dieron.');
    // Errors without a sentence of their own get their kind's, not the English message.
    const status = await spanish('/status/no-such-list').expect(404);
    expect(message(status.text)).toBe('No encontramos esa página.');
    const mangled = await spanish('/achievements/%ZZ').expect(400);
    expect(message(mangled.text)).toBe('No se pudo atender esta petición: revisa la dirección o el formulario y vuelve a intentarlo.');
    // In English the specific message stays.
    const english = await request(t.app).get('/status/no-such-list').set('accept', 'text/html').set('accept-language', 'en').expect(404);
    expect(message(english.text)).toBe('No status list no-such-list');
  });

  it('carries Open Graph and Twitter card tags with an absolute badge image', async () => {
    const uuid = await issue();
    const res = await page(uuid);
    const base = `${t.config.publicUrl}/credentials/${uuid}`;
    expect(res.text).toContain('<meta property="og:title" content="Python Basics">');
    expect(res.text).toContain(`<meta property="og:image" content="${base}/badge.png">`);
    expect(res.text).toContain(`<meta property="og:url" content="${base}">`);
    expect(res.text).toMatch(/<meta property="og:description" content="Python Basics, issued by Universidad de Ejemplo/);
    expect(res.text).toContain('<meta name="twitter:card" content="summary_large_image">');
    expect(res.text).toMatch(/<meta property="og:image" content="https?:\/\/[^"]+\/badge\.png">/);
  });

  it('shows a revoked credential with its date and reason, and no share buttons', async () => {
    const uuid = await issue();
    await status(uuid, 'revoke', 'Issued in error');
    const res = await page(uuid);
    expect(res.text).toContain('This credential has been revoked');
    // The status change's date is the database's clock (today), in the page's language.
    expect(res.text).toMatch(/Revoked on [A-Z][a-z]+ \d{1,2}, \d{4}\. Reason: Issued in error/);
    expect(res.text).not.toContain('linkedin.com');
    expect(res.text).not.toContain('badge.png" download');
    const es = await page(uuid, 'es');
    expect(es.text).toMatch(/Revocada el \d{1,2} de [a-z]+ de \d{4}\. Motivo: Issued in error/);
  });

  it('serves a repeat view from the page it rendered, and a 304 without body or policy to a browser that has it', async () => {
    const uuid = await issue();
    const first = await page(uuid);
    expect(first.headers['cache-control']).toBe('public, no-cache');
    expect(first.headers.vary).toMatch(/Accept-Language/);
    expect(first.headers.etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    const [verified, served] = [verifications, pageHits];
    const again = await page(uuid);
    expect(again.text).toBe(first.text);
    expect(again.headers.etag).toBe(first.headers.etag);
    const revisit = await request(t.app).get(`/credentials/${uuid}?lang=en`).set('if-none-match', first.headers.etag!).expect(304);
    expect(revisit.text).toBe('');
    expect(revisit.headers['content-security-policy']).toBeUndefined();
    expect(revisit.headers.etag).toBe(first.headers.etag);
    expect(verifications).toBe(verified);
    expect(pageHits).toBe(served + 2);
    // The other language is another page (another tag), from the same verification.
    const es = await request(t.app).get(`/credentials/${uuid}?lang=es`).set('if-none-match', first.headers.etag!).expect(200);
    expect(es.text).toContain('Credencial verificada');
    expect(es.headers.etag).not.toBe(first.headers.etag);
    expect(verifications).toBe(verified);
    const missing = await request(t.app).get('/credentials/00000000-0000-4000-8000-000000000000').expect(404);
    expect(missing.body.code).toBe('credential_not_found');
  });

  it('verifies once when many views of a credential not yet cached arrive together', async () => {
    const uuid = await issue();
    const before = verifications;
    const views = await Promise.all(Array.from({ length: 12 }, () => page(uuid)));
    expect(new Set(views.map((view) => view.headers.etag)).size).toBe(1);
    expect(verifications).toBe(before + 1);
  });

  it('verifies a page again behind the views once it is a minute old, and the views keep getting the page they had', async () => {
    const uuid = await issue();
    const first = await page(uuid);
    const [verified, served] = [verifications, pageHits];
    clockAt = new Date('2026-03-05T12:01:01Z').getTime();
    try {
      const meanwhile = await page(uuid);
      expect(meanwhile.text).toBe(first.text);
      expect(pageHits).toBe(served + 1);
      await vi.waitFor(() => expect(verifications).toBe(verified + 1));
      await page(uuid);
      await page(uuid);
      expect(verifications).toBe(verified + 1);
    } finally {
      clockAt = new Date('2026-03-05T12:00:00Z').getTime();
    }
  });

  it('answers views that arrive together, read in shared queries, each with its own credential', async () => {
    const [valid, revoked] = [await issue(), await issue()];
    await status(revoked, 'revoke', 'Read together');
    const missing = '00000000-0000-4000-8000-000000000000';
    const views = await Promise.all(
      [valid, revoked, missing].flatMap((uuid) => Array.from({ length: 8 }, () => request(t.app).get(`/credentials/${uuid}?lang=en`).then((res) => ({ uuid, res })))),
    );
    for (const { uuid, res } of views) {
      if (uuid === missing) {
        expect(res.status).toBe(404);
        expect(res.body.code).toBe('credential_not_found');
      } else {
        expect(res.status).toBe(200);
        expect(res.text).toContain(uuid === valid ? 'Verified credential' : 'This credential has been revoked');
        expect(res.text).toContain(`/credentials/${uuid}/badge.png`);
      }
    }
  });

  it('shows a revocation at once after cached views, and the old tag no longer answers 304', async () => {
    const uuid = await issue();
    const valid = await page(uuid);
    await page(uuid);
    expect(valid.text).toContain('Verified credential');
    await status(uuid, 'revoke', 'Plagiarism');
    const revoked = await request(t.app).get(`/credentials/${uuid}?lang=en`).set('if-none-match', valid.headers.etag!).expect(200);
    expect(revoked.text).toContain('This credential has been revoked');
    expect(revoked.text).toContain('Reason: Plagiarism');
    expect(revoked.headers.etag).not.toBe(valid.headers.etag);
  });

  it('shows a revocation made by another Sello process on the same database, which this one was never told of', async () => {
    const uuid = await issue();
    const valid = await page(uuid);
    expect(valid.text).toContain('Verified credential');
    // What the other process's admin API runs: only the database changes.
    await setCredentialStatus({ db: t.db, credentialId: `urn:uuid:${uuid}`, purpose: 'revocation', value: true, reason: 'Revoked elsewhere', actor: 'other-process' });
    const revoked = await request(t.app).get(`/credentials/${uuid}?lang=en`).set('if-none-match', valid.headers.etag!).expect(200);
    expect(revoked.text).toContain('This credential has been revoked');
    expect(revoked.text).toContain('Reason: Revoked elsewhere');
  });

  it('shows a suspended credential with its reason and no share buttons, then valid again when lifted', async () => {
    const uuid = await issue();
    const valid = await page(uuid);
    expect(valid.text).toContain('Add to LinkedIn profile');
    await page(uuid);
    await status(uuid, 'suspend', 'Under review');
    const suspended = await page(uuid);
    expect(suspended.text).toContain('This credential is suspended');
    expect(suspended.text).toContain('Reason: Under review');
    expect(suspended.text).not.toContain('linkedin.com');
    await page(uuid);
    await status(uuid, 'unsuspend', 'Cleared');
    const lifted = await request(t.app).get(`/credentials/${uuid}?lang=en`).set('if-none-match', suspended.headers.etag!).expect(200);
    expect(lifted.text).toContain('Verified credential');
    expect(lifted.text).toContain('Add to LinkedIn profile');
  });

  // The clock moves less than the caches' 60 s bound: only validFrom/validUntil can end the cached page.
  it('shows an expired credential once the clock passes validUntil, even seconds after a cached view', async () => {
    const uuid = await issue({ validUntil: '2026-03-05T12:00:30Z' });
    const valid = await page(uuid);
    expect(valid.text).toContain('Verified credential');
    const [verified, served] = [verifications, pageHits];
    expect((await page(uuid)).text).toContain('Verified credential');
    expect([verifications, pageHits]).toEqual([verified, served + 1]);
    clockAt = new Date('2026-03-05T12:00:31Z').getTime();
    try {
      const expired = await request(t.app).get(`/credentials/${uuid}?lang=en`).set('if-none-match', valid.headers.etag!).expect(200);
      expect(expired.text).toContain('This credential has expired');
      expect(expired.text).toContain('It was valid until March 5, 2026.');
      expect(expired.text).not.toContain('linkedin.com');
    } finally {
      clockAt = new Date('2026-03-05T12:00:00Z').getTime();
    }
  });

  // A verification reads the clock when it starts: a page verified while valid must not
  // outlive validUntil because the verification ended after it.
  it('shows an expired credential once the clock passes validUntil, though its verification started before and ended after it', async () => {
    const uuid = await issue({ validUntil: '2026-03-05T12:00:30Z' });
    const resolveDid = t.keys.resolveDid;
    t.keys.resolveDid = async (did) => {
      t.keys.resolveDid = resolveDid;
      clockAt = new Date('2026-03-05T12:00:31Z').getTime();
      return resolveDid(did);
    };
    try {
      const valid = await page(uuid);
      expect(valid.text).toContain('Verified credential');
      expect(now().toISOString()).toBe('2026-03-05T12:00:31.000Z');
      const expired = await request(t.app).get(`/credentials/${uuid}?lang=en`).set('if-none-match', valid.headers.etag!).expect(200);
      expect(expired.text).toContain('This credential has expired');
    } finally {
      t.keys.resolveDid = resolveDid;
      clockAt = new Date('2026-03-05T12:00:00Z').getTime();
    }
  });

  it('gives a view that arrives after validUntil the expired page, though a render begun before it is still under way', async () => {
    const uuid = await issue({ validUntil: '2026-03-05T12:00:30Z' });
    const resolveDid = t.keys.resolveDid;
    let entered!: () => void;
    const inRender = new Promise<void>((resolve) => (entered = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    t.keys.resolveDid = async (did) => {
      t.keys.resolveDid = resolveDid;
      entered();
      await released;
      return resolveDid(did);
    };
    try {
      const early = page(uuid).then((res) => res);
      await inRender;
      clockAt = new Date('2026-03-05T12:00:31Z').getTime();
      const lookups = pageLookups;
      const late = page(uuid).then((res) => res);
      await vi.waitFor(() => expect(pageLookups).toBe(lookups + 1));
      release();
      expect((await early).text).toContain('Verified credential');
      expect((await late).text).toContain('This credential has expired');
    } finally {
      t.keys.resolveDid = resolveDid;
      clockAt = new Date('2026-03-05T12:00:00Z').getTime();
    }
  });

  it('shows a credential as not yet valid until the clock reaches its validFrom, then as verified at once', async () => {
    const uuid = await issue({ validFrom: '2026-03-05T12:00:30Z' });
    const early = await page(uuid);
    expect(early.text).toContain('This credential did not pass verification');
    expect(early.text).not.toContain('Verified credential');
    await page(uuid);
    clockAt = new Date('2026-03-05T12:00:31Z').getTime();
    try {
      const valid = await request(t.app).get(`/credentials/${uuid}?lang=en`).set('if-none-match', early.headers.etag!).expect(200);
      expect(valid.text).toContain('Verified credential');
    } finally {
      clockAt = new Date('2026-03-05T12:00:00Z').getTime();
    }
  });

  it('shows the name the issuer gives itself in its profile at the next view after cached ones', async () => {
    const uuid = await issue();
    const before = await page(uuid);
    expect(before.text).toContain('>Universidad de Ejemplo</a>');
    const issuers = createIssuerRepository(t.db);
    const issuer = (await issuers.findById(t.issuer.id))!;
    await issuers.updateProfile(issuer.id, { name: 'Universidad Renombrada', url: issuer.url, email: issuer.email, imageUrl: issuer.imageUrl, description: issuer.description });
    try {
      const after = await request(t.app).get(`/credentials/${uuid}?lang=en`).set('if-none-match', before.headers.etag!).expect(200);
      expect(after.text).toContain('>Universidad Renombrada</a>');
    } finally {
      await issuers.updateProfile(issuer.id, { name: issuer.name, url: issuer.url, email: issuer.email, imageUrl: issuer.imageUrl, description: issuer.description });
    }
  });

  it('re-verifies after the issuer revokes its signing key, even right after cached views', async () => {
    const uuid = await issue();
    const valid = await page(uuid);
    expect(valid.text).toContain('Verified credential');
    await page(uuid);
    const keys = await request(t.app).get('/admin/api/issuers/default/keys').set('authorization', `Bearer ${ADMIN}`).expect(200);
    const oldKey = (keys.body.keys as { keyId: string }[])[0]!.keyId;
    await request(t.app).post('/admin/api/issuers/default/keys/rotate').set('authorization', `Bearer ${ADMIN}`).send({ reason: 'test' }).expect(201);
    await request(t.app).post('/admin/api/issuers/default/keys/revoke').set('authorization', `Bearer ${ADMIN}`).send({ keyId: oldKey, reason: 'compromised' }).expect(200);
    const res = await request(t.app).get(`/credentials/${uuid}?lang=en`).set('if-none-match', valid.headers.etag!).expect(200);
    expect(res.text).toContain('This credential did not pass verification');
    expect(res.text).toContain('the issuer revoked the signing key');
  });

  it('escapes an achievement named <script> everywhere, head included', async () => {
    const evil = await createAchievementRepository(t.db).create({
      issuerId: t.issuer.id,
      name: '<script>alert(1)</script>',
      description: '"><img src=x onerror=alert(1)>',
      criteriaNarrative: { en: '<b>bold</b>' },
    });
    const uuid = await issue({}, evil.id);
    const res = await page(uuid);
    expect(res.text).not.toContain('<script>alert(1)</script>');
    expect(res.text).not.toContain('<img src=x');
    expect(res.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('links an uploaded (inline) badge image from the page instead of inlining it, and serves it as an image', async () => {
    const bytes = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><circle cx="5" cy="5" r="5" fill="#123456"/></svg>'.padEnd(60_000, ' '));
    const pictured = await createAchievementRepository(t.db).create({
      issuerId: t.issuer.id,
      name: 'Pictured',
      description: 'Has its own image',
      imageUrl: `data:image/svg+xml;base64,${bytes.toString('base64')}`,
      criteriaNarrative: { en: 'Draw it' },
    });
    const uuid = await issue({}, pictured.id);
    const res = await page(uuid);
    expect(res.text).not.toContain('data:image/svg+xml;base64');
    expect(res.text).toContain(`src="${t.config.publicUrl}/credentials/${uuid}/image"`);
    expect(res.text.length).toBeLessThan(40_000);
    const image = await request(t.app)
      .get(`/credentials/${uuid}/image`)
      .buffer(true)
      .parse((response, done) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => done(null, Buffer.concat(chunks)));
      })
      .expect(200);
    expect(image.headers['content-type']).toMatch(/^image\/svg\+xml/);
    expect(image.headers['cache-control']).toBe('public, max-age=86400, immutable');
    expect(image.headers['content-security-policy']).toContain("default-src 'none'");
    expect(Buffer.from(image.body as Buffer).equals(bytes)).toBe(true);
    // An image the credential names by URL stays that URL, and Sello serves no copy of it.
    const hosted = await createAchievementRepository(t.db).create({ issuerId: t.issuer.id, name: 'Hosted', description: 'Image elsewhere', imageUrl: 'https://uni.example/badge.png', criteriaNarrative: { en: 'Do it' } });
    const elsewhere = await issue({}, hosted.id);
    expect((await page(elsewhere)).text).toContain('src="https://uni.example/badge.png"');
    const none = await request(t.app).get(`/credentials/${elsewhere}/image`).expect(404);
    expect(none.body.code).toBe('credential_not_found');
  });

  it('has a plain-language line in both languages for every check, passed, failed and skipped', () => {
    for (const locale of ['en', 'es'] as const) {
      const keys = new Set(catalogKeys(locale));
      for (const id of CHECK_IDS) {
        expect(keys.has(`cred.check.${id}`), `${locale} cred.check.${id}`).toBe(true);
        expect(keys.has(`cred.ok.${id}`), `${locale} cred.ok.${id}`).toBe(true);
        expect(keys.has(`cred.fail.${id}`), `${locale} cred.fail.${id}`).toBe(true);
      }
      for (const code of errorCodes) {
        expect(keys.has(`cred.error.${code}`) || keys.has(`cred.skip.${code}`), `${locale} cred.error.${code}`).toBe(true);
      }
    }
  });
});
