import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, makeCredentialsApp } from './credentials-fixture.ts';

const binary = (res: request.Response, done: (error: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (chunk: Buffer) => chunks.push(chunk));
  res.on('end', () => done(null, Buffer.concat(chunks)));
};

describe('the /verify page', () => {
  let t: Awaited<ReturnType<typeof makeCredentialsApp>>;
  let credential: Record<string, unknown>;
  let uuid: string;
  beforeAll(async () => {
    t = await makeCredentialsApp();
    const res = await request(t.app)
      .post('/credentials/issue')
      .set('authorization', `Bearer ${ADMIN}`)
      .send({ options: { achievementId: t.achievement.id, recipient: { email: 'ana@example.edu', name: 'Ana Pérez' } } })
      .expect(201);
    credential = res.body.verifiableCredential;
    uuid = String(credential.id).replace('urn:uuid:', '');
  });
  afterAll(() => t.close());

  it('offers a labelled file field, a paste box and a link to the verifier that needs no server, in both languages', async () => {
    const en = await request(t.app).get('/verify?lang=en').expect(200);
    expect(en.text).toContain('<label for="verify-file">');
    expect(en.text).toContain('<label for="verify-paste">');
    expect(en.text).toContain('enctype="multipart/form-data"');
    expect(en.text).toContain('href="/verifier"');
    const es = await request(t.app).get('/verify?lang=es').expect(200);
    expect(es.text).toContain('Verificar una credencial');
  });

  it('verifies a chosen credential JSON file', async () => {
    const res = await request(t.app).post('/verify?lang=en').attach('file', Buffer.from(JSON.stringify(credential)), 'credential.json').expect(200);
    expect(res.text).toContain('Verified credential');
    expect(res.text).toContain('Python Basics');
    expect(res.text).toContain('nothing was changed since the issuer signed it');
    expect(res.text).toContain(`/credentials/${uuid}`);
  });

  it('verifies a pasted credential, from a multipart or a plain form', async () => {
    await request(t.app).post('/verify').field('credential', JSON.stringify(credential)).expect(200);
    const plain = await request(t.app).post('/verify?lang=es').type('form').send({ credential: JSON.stringify(credential) }).expect(200);
    expect(plain.text).toContain('Credencial verificada');
  });

  it('verifies the baked PNG and SVG this server hands out', async () => {
    const png = await request(t.app).get(`/credentials/${uuid}/badge.png`).buffer(true).parse(binary).expect(200);
    const fromPng = await request(t.app).post('/verify?lang=en').attach('file', png.body as Buffer, 'badge.png').expect(200);
    expect(fromPng.text).toContain('Verified credential');
    const svg = await request(t.app).get(`/credentials/${uuid}/badge.svg`).buffer(true).parse(binary).expect(200);
    const fromSvg = await request(t.app).post('/verify?lang=en').attach('file', svg.body as Buffer, 'badge.svg').expect(200);
    expect(fromSvg.text).toContain('Verified credential');
  });

  it('reports a tampered credential as failing its signature, in the page', async () => {
    const tampered = { ...credential, name: 'Something else' };
    const res = await request(t.app).post('/verify?lang=en').attach('file', Buffer.from(JSON.stringify(tampered)), 'c.json').expect(422);
    expect(res.text).toContain('This credential did not pass verification');
    expect(res.text).toContain('check-bad');
  });

  it('answers garbage, an image without a credential and an empty form with a message in the page, not a 5xx', async () => {
    const garbage = await request(t.app).post('/verify?lang=en').attach('file', Buffer.from('not json at all {'), 'x.json').expect(400);
    expect(garbage.text).toContain('This is not a credential');
    const plainSvg = await request(t.app).post('/verify?lang=en').attach('file', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"></svg>'), 'x.svg').expect(400);
    expect(plainSvg.text).toContain('This image carries no credential');
    const empty = await request(t.app).post('/verify?lang=es').field('credential', '').expect(400);
    expect(empty.text).toContain('Primero elige un archivo o pega una credencial.');
    const notCredential = await request(t.app).post('/verify?lang=en').field('credential', '{"type":"Nope"}').expect(400);
    expect(notCredential.text).toContain('This is not a credential');
    const broken = await request(t.app).post('/verify').set('content-type', 'multipart/form-data; boundary=zzz').send('--zzz\r\nbroken').expect(400);
    expect(broken.text).toContain('role="alert"');
  });

  it('escapes what a pasted credential says about itself', async () => {
    const evil = JSON.parse(JSON.stringify(credential));
    evil.credentialSubject.achievement.name = '<script>alert(1)</script>';
    const res = await request(t.app).post('/verify').field('credential', JSON.stringify(evil)).expect(422);
    expect(res.text).not.toContain('<script>alert(1)</script>');
    expect(res.text).toContain('&lt;script&gt;');
  });
});
