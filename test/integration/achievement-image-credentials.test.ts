/**
 * An achievement's own image (designed in the page, or an uploaded PNG) in what Sello
 * issues: the credential's `achievement.image` (a data: URI the OB 3.0 schema accepts),
 * the designed SVG baked as SVG, and the 600×600 baked PNG drawing the uploaded picture.
 */
import request from 'supertest';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unbakePng, unbakeSvg } from '../../src/credentials/bake.ts';
import { validateOb3Schema } from '../../src/credentials/schema.ts';
import { designBadgeDataUri, parseBadgeDesign } from '../../src/credentials/badge-design.ts';
import { readBadgeUpload } from '../../src/credentials/badge-upload.ts';
import { encodeRgbaPng } from '../../src/credentials/png.ts';
import { createAchievementImageRepository } from '../../src/storage/achievement-image-repository.ts';
import { ADMIN, makeCredentialsApp } from './credentials-fixture.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const binary = (res: any, done: (error: Error | null, body: any) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (chunk: Buffer) => chunks.push(chunk));
  res.on('end', () => done(null, Buffer.concat(chunks)));
};

describe('an achievement image in issued credentials', () => {
  let t: Awaited<ReturnType<typeof makeCredentialsApp>>;
  const issue = async () => {
    const res = await request(t.app)
      .post('/credentials/issue')
      .set('authorization', `Bearer ${ADMIN}`)
      .send({ credential: {}, options: { achievementId: t.achievement.id, recipient: { email: 'ana@example.edu', name: 'Ana Pérez' } } })
      .expect(201);
    const credential = res.body.verifiableCredential as Record<string, unknown> & { credentialSubject: { achievement: { image: { id: string; type: string } } } };
    return { credential, uuid: String(credential.id).replace('urn:uuid:', '') };
  };

  beforeAll(async () => {
    t = await makeCredentialsApp();
  });
  afterAll(() => t.close());

  it('carries a designed badge as a data: URI, bakes it as SVG and verifies', async () => {
    const { design } = parseBadgeDesign({ shape: 'hexagon', icon: 'code', background: '#0a5c36', accent: '#ffd166', foreground: '#ffffff', text: 'Python' });
    const dataUri = designBadgeDataUri({ design, achievementName: t.achievement.name });
    expect(await createAchievementImageRepository(t.db).save({ achievementId: t.achievement.id, source: 'design', mediaType: 'image/svg+xml', design: { ...design }, updatedBy: 'test', dataUri })).toBe(true);
    const { credential, uuid } = await issue();
    expect(credential.credentialSubject.achievement.image).toEqual({ id: dataUri, type: 'Image' });
    expect(validateOb3Schema(credential).valid).toBe(true);
    const svg = await request(t.app).get(`/credentials/${uuid}/badge.svg`).buffer(true).parse((res, done) => binary(res, (e, b) => done(e, b.toString('utf8')))).expect(200);
    const body = svg.body as string;
    expect(body).toContain('fill="#0a5c36"');
    expect(body).toContain('<polygon');
    expect(unbakeSvg(body)).toEqual(credential);
    const verified = await request(t.app).post('/credentials/verify').send({ verifiableCredential: credential }).expect(200);
    expect(verified.body.verified).toBe(true);
  });

  it('draws an uploaded PNG in the 600×600 baked PNG', async () => {
    const red = encodeRgbaPng({ width: 128, height: 128, rgba: new Uint8Array(128 * 128 * 4).map((_, i) => (i % 4 === 0 || i % 4 === 3 ? 255 : 0)) });
    const upload = readBadgeUpload(red);
    if (!upload.ok) throw new Error('the test PNG was refused');
    await createAchievementImageRepository(t.db).save({ achievementId: t.achievement.id, source: 'upload', mediaType: 'image/png', design: null, updatedBy: 'test', dataUri: upload.dataUri });
    const { credential, uuid } = await issue();
    expect(credential.credentialSubject.achievement.image.id).toBe(upload.dataUri);
    expect(validateOb3Schema(credential).valid).toBe(true);
    const res = await request(t.app).get(`/credentials/${uuid}/badge.png`).buffer(true).parse(binary).expect(200);
    const png = res.body as Buffer;
    expect(unbakePng(png)).toEqual(credential);
    const picture = PNG.sync.read(png);
    expect([picture.width, picture.height]).toEqual([600, 600]);
    // The uploaded picture fills the middle of the badge (x 100–500, y 24–424).
    const at = (x: number, y: number) => Array.from(picture.data.subarray((y * 600 + x) * 4, (y * 600 + x) * 4 + 3));
    expect(at(300, 200)).toEqual([255, 0, 0]);
    // The baked SVG shows the same picture, not the generated medal, and carries the credential.
    const svg = await request(t.app).get(`/credentials/${uuid}/badge.svg`).buffer(true).parse(binary).expect(200);
    const body = (svg.body as Buffer).toString('utf8');
    expect(body).toContain(`href="${upload.dataUri}"`);
    expect(body).not.toContain('<polygon');
    expect(unbakeSvg(body)).toEqual(credential);
  });
});
