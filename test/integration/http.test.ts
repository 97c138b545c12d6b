import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestApp } from '../support/app.ts';

describe('HTTP basics', () => {
  let t: Awaited<ReturnType<typeof makeTestApp>>;
  beforeAll(async () => {
    t = await makeTestApp({ env: { BODY_LIMIT: '64kb' } });
  });
  afterAll(() => t.close());

  it('reports health with the database and chain kinds', async () => {
    const res = await request(t.app).get('/health').expect(200);
    expect(res.body).toMatchObject({ status: 'ok', version: expect.any(String), database: { kind: t.db.kind, ok: true } });
    expect(res.body.chain).toHaveProperty('kind');
    expect(res.body.chain).toHaveProperty('chainId');
    expect(res.body.chain).toHaveProperty('contract');
  });

  it('answers malformed JSON with 400 invalid_json', async () => {
    const res = await request(t.app).post('/credentials/verify').set('content-type', 'application/json').send('{"a":').expect(400);
    expect(res.body).toEqual({ code: 'invalid_json', message: 'The request body is not valid JSON' });
  });

  it('answers an oversized body with 413 payload_too_large', async () => {
    const big = JSON.stringify({ blob: 'x'.repeat(70 * 1024) });
    const res = await request(t.app).post('/credentials/verify').set('content-type', 'application/json').send(big).expect(413);
    expect(res.body.code).toBe('payload_too_large');
  });

  it('answers an unknown route with 404 JSON for API clients', async () => {
    const res = await request(t.app).get('/no/such/thing').set('accept', 'application/json').expect(404);
    expect(res.body.code).toBe('not_found');
  });

  it('answers an unknown route with a 404 page in the browser language', async () => {
    const res = await request(t.app).get('/no/such/page').set('accept', 'text/html').set('accept-language', 'es-CR,es;q=0.9').expect(404);
    expect(res.type).toBe('text/html');
    expect(res.text).toContain('No encontramos esa página.');
    expect(res.text).toContain('<html lang="es">');
  });

  it('serves the start page in English or Spanish, switchable with ?lang=', async () => {
    const en = await request(t.app).get('/').set('accept', 'text/html').expect(200);
    expect(en.text).toContain('Install in your LMS');
    const es = await request(t.app).get('/?lang=es').expect(200);
    expect(es.text).toContain('Instalar en tu LMS');
    expect(es.headers['set-cookie']?.[0]).toMatch(/sello_lang=es/);
  });
});

describe('health when the database is down', () => {
  it('answers 503 naming the failing part', async () => {
    const t = await makeTestApp();
    await t.db.close();
    const res = await request(t.app).get('/health').expect(503);
    expect(res.body.status).toBe('degraded');
    expect(res.body.database.ok).toBe(false);
    expect(res.body.database.error).toEqual(expect.any(String));
  });
});
