import fs from 'node:fs';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAchievementRepository } from '../../src/storage/achievement-repository.ts';
import { createVerificationCache } from '../../src/credentials/verification-cache.ts';
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
  const cache = createVerificationCache<VerificationReport>({ now });
  let hits = 0;
  const countingCache = {
    ...cache,
    get size() {
      return cache.size;
    },
    get: (key: string, fingerprint: string) => {
      const value = cache.get(key, fingerprint);
      if (value) hits += 1;
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
    t = await makeCredentialsApp({ now, verificationCache: countingCache, env: { CHAIN_EXPLORER_URL: 'https://explorer.example/' } });
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

  it('shows a suspended credential with its reason and no share buttons, then valid again when lifted', async () => {
    const uuid = await issue();
    expect((await page(uuid)).text).toContain('Add to LinkedIn profile');
    await status(uuid, 'suspend', 'Under review');
    const suspended = await page(uuid);
    expect(suspended.text).toContain('This credential is suspended');
    expect(suspended.text).toContain('Reason: Under review');
    expect(suspended.text).not.toContain('linkedin.com');
    await status(uuid, 'unsuspend', 'Cleared');
    expect((await page(uuid)).text).toContain('Verified credential');
  });

  it('shows an expired credential once the clock passes validUntil, even right after a cached view', async () => {
    const uuid = await issue({ validUntil: '2026-03-06T00:00:00Z' });
    expect((await page(uuid)).text).toContain('Verified credential');
    const before = hits;
    expect((await page(uuid)).text).toContain('Verified credential');
    expect(hits).toBe(before + 1);
    clockAt = new Date('2026-03-06T00:00:01Z').getTime();
    try {
      const expired = await page(uuid);
      expect(expired.text).toContain('This credential has expired');
      expect(expired.text).toContain('It was valid until March 6, 2026.');
      expect(expired.text).not.toContain('linkedin.com');
    } finally {
      clockAt = new Date('2026-03-05T12:00:00Z').getTime();
    }
  });

  it('reuses the verification for repeated views and re-verifies after a status change', async () => {
    const uuid = await issue();
    await page(uuid);
    const before = hits;
    await page(uuid);
    await page(uuid, 'es');
    expect(hits).toBe(before + 2);
    await status(uuid, 'suspend', 'Checking');
    expect((await page(uuid)).text).toContain('This credential is suspended');
  });

  it('re-verifies after the issuer revokes its signing key', async () => {
    const uuid = await issue();
    expect((await page(uuid)).text).toContain('Verified credential');
    const keys = await request(t.app).get('/admin/api/issuers/default/keys').set('authorization', `Bearer ${ADMIN}`).expect(200);
    const oldKey = (keys.body.keys as { keyId: string }[])[0]!.keyId;
    await request(t.app).post('/admin/api/issuers/default/keys/rotate').set('authorization', `Bearer ${ADMIN}`).send({ reason: 'test' }).expect(201);
    await request(t.app).post('/admin/api/issuers/default/keys/revoke').set('authorization', `Bearer ${ADMIN}`).send({ keyId: oldKey, reason: 'compromised' }).expect(200);
    const res = await page(uuid);
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
