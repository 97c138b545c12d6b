/**
 * Input no route should ever see (issue 10, finding 6): malformed percent-escapes, NUL
 * characters, lone UTF-16 surrogates and absurd nesting are refused at the door with a
 * 400 and a code, on every route, instead of a 500 from a URIError, PostgreSQL or a
 * stack overflow.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, makeCredentialsApp } from './credentials-fixture.ts';

describe('bad input at the door', () => {
  let t: Awaited<ReturnType<typeof makeCredentialsApp>>;
  beforeAll(async () => {
    t = await makeCredentialsApp();
  });
  afterAll(() => t.close());

  const issue = (body: string) =>
    request(t.app).post('/credentials/issue').set('authorization', `Bearer ${ADMIN}`).set('content-type', 'application/json').set('accept', 'application/json').send(body);
  const issueBody = (name: string) =>
    JSON.stringify({ credential: { credentialSubject: { achievement: { name } } }, options: { recipient: { email: 'ana@example.edu' } } });

  it('answers a credential path holding an escaped % with a 4xx and a code, not a URIError', async () => {
    for (const path of ['/credentials/%25E0%25A4%25A', '/credentials/%25', '/credentials/%25zz.json', '/credentials/%25/badge.svg']) {
      const res = await request(t.app).get(path).set('accept', 'application/json');
      expect(res.status, path).toBe(404);
      expect(res.body.code, path).toBe('credential_not_found');
    }
    const malformed = await request(t.app).get('/credentials/%E0%A4%A').set('accept', 'application/json');
    expect(malformed.status).toBe(400);
    expect(malformed.body.code).toBe('invalid_url');
  });

  it('answers a NUL in the path or the query with 400 invalid_url before the database sees it', async () => {
    for (const path of ['/issuers/%00/did.json', '/status/%00', '/credentials/%00', '/health?x=%00']) {
      const res = await request(t.app).get(path).set('accept', 'application/json');
      expect(res.status, path).toBe(400);
      expect(res.body.code, path).toBe('invalid_url');
    }
  });

  it('refuses a NUL in any JSON text with 400 invalid_text and stores nothing', async () => {
    const before = (await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM achievements')).rows[0]!.n;
    const res = await issue(issueBody('Python\u0000Basics'));
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'invalid_text', details: { problem: 'nul_character', path: 'credential.credentialSubject.achievement.name' } });
    const key = await issue(JSON.stringify({ credential: { 'a\u0000': 1 } }));
    expect(key.status).toBe(400);
    expect(key.body.code).toBe('invalid_text');
    expect((await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM achievements')).rows[0]!.n).toBe(before);
  });

  it('refuses a lone surrogate with 400 invalid_text, and accepts a well-formed pair', async () => {
    const lone = await issue(issueBody('\\ud800').replace('"\\\\ud800"', '"\\ud800"'));
    expect(lone.status).toBe(400);
    expect(lone.body).toMatchObject({ code: 'invalid_text', details: { problem: 'lone_surrogate' } });
    const low = await request(t.app).post('/credentials/verify').set('content-type', 'application/json').send('{"verifiableCredential": {"name": "\\udc00x"}}');
    expect(low.status).toBe(400);
    expect(low.body.code).toBe('invalid_text');
    const pair = await issue(issueBody('Python 🐍'));
    expect(pair.status).toBe(201);
    expect(pair.body.verifiableCredential.credentialSubject.achievement.name).toBe('Python 🐍');
  });

  it('refuses a NUL in a form body with 400 invalid_text', async () => {
    const res = await request(t.app).post('/credentials/verify').set('accept', 'application/json').type('form').send('verifiableCredential=%00');
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('invalid_text');
  });

  it('refuses 10,000 levels of nesting with 400 invalid_json_depth instead of a stack overflow', async () => {
    const deep = `{"verifiableCredential": {"evidence": ${'['.repeat(10_000)}${']'.repeat(10_000)}}}`;
    const res = await request(t.app).post('/credentials/verify').set('content-type', 'application/json').send(deep);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('invalid_json_depth');
    const presentation = await request(t.app)
      .post('/presentations/verify')
      .set('content-type', 'application/json')
      .send(`{"verifiablePresentation": ${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}`);
    expect(presentation.status).toBe(400);
    expect(presentation.body.code).toBe('invalid_json_depth');
  });

  it('still accepts honest nesting (a credential nests about 7 levels)', async () => {
    const nested = JSON.parse(`${'{"a":'.repeat(60)}1${'}'.repeat(60)}`);
    const res = await request(t.app).post('/credentials/verify').set('content-type', 'application/json').send({ verifiableCredential: { type: ['VerifiableCredential'], ...nested } });
    // A credential that fails its checks: 422 with the report (VC API, issue 14.2).
    expect(res.status).toBe(422);
    expect(res.body.verified).toBe(false);
  });
});
