import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestApp } from '../support/app.ts';

describe('the home page', () => {
  let t: Awaited<ReturnType<typeof makeTestApp>>;
  beforeAll(async () => {
    t = await makeTestApp();
  });
  afterAll(() => t.close());

  it('tells the institution how to install Sello, with both URLs as labelled fields and copy buttons', async () => {
    const res = await request(t.app).get('/?lang=en').expect(200);
    expect(res.text).toContain(`value="${t.config.publicUrl}/lti/register"`);
    expect(res.text).toContain(`value="${t.config.publicUrl}/lti/canvas.json"`);
    expect(res.text).toContain('<label for="home-register-url">Registration URL</label>');
    expect(res.text).toContain('data-copy="home-canvas-url"');
    expect(res.text).toContain('<script src="/static/js/copy.js" defer></script>');
    expect(res.text).not.toMatch(/<script>|<script [^>]*>[^<]/);
    expect(res.text).toContain('href="/verify"');
    expect(res.text).toContain('href="/verifier"');
  });

  it('speaks Spanish', async () => {
    const res = await request(t.app).get('/?lang=es').expect(200);
    expect(res.text).toContain('URL de registro');
    expect(res.text).toContain('Copiar');
  });

  it('serves the copy script from /static', async () => {
    const res = await request(t.app).get('/static/js/copy.js').expect(200);
    expect(res.text).toContain('navigator.clipboard');
  });
});
