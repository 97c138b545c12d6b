/**
 * The badge image of an achievement, uploaded or designed by an instructor launched from
 * the sandbox LMS: every form's validation errors in the page, and the stored image that
 * credentials carry.
 */
import { ltiFormFields } from '../support/form-token.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandboxLms, ROLE, type Sandbox, type ToolRegistration } from '../../src/sandbox-lms/index.ts';
import { decodeHtml } from '../support/sandbox-lms/browser.ts';
import { launchLtik, registerSello } from '../support/sandbox-lms/launch.ts';
import { startSelloWithPages, type SelloWithPages } from '../support/issuance/sello-with-pages.ts';
import { createPlatformRepository } from '../../src/storage/platform-repository.ts';
import { createOutcomeRepository } from '../../src/storage/outcome-repository.ts';
import { createAchievementRepository, type Achievement } from '../../src/storage/achievement-repository.ts';
import { createAchievementImageRepository } from '../../src/storage/achievement-image-repository.ts';
import { encodeRgbaPng, readChunks } from '../../src/credentials/png.ts';
import { renderBadgePng } from '../../src/credentials/badge-image.ts';
import { BADGE_UPLOAD_MAX_BYTES } from '../../src/credentials/badge-upload.ts';

describe('badge image of an achievement', () => {
  let lms: Sandbox;
  let sello: SelloWithPages;
  let registration: ToolRegistration;
  let teacherLtik: string;
  let learnerLtik: string;
  let achievement: Achievement;

  const launch = (sub: string) => launchLtik(lms, registration, sub, 'course-i');
  const upload = (bytes: Buffer | string, name: string, type: string, ltik = teacherLtik, from = 'image') => {
    const form = new FormData();
    form.set('from', from);
    form.set('file', new Blob([bytes], { type }), name);
    return fetch(`${sello.url}/app/achievements/${achievement.id}/image/upload?${new URLSearchParams(ltiFormFields(ltik))}`, { method: 'POST', redirect: 'manual', body: form, headers: { accept: 'text/html' } });
  };
  const design = (fields: Record<string, string>, ltik = teacherLtik) =>
    fetch(`${sello.url}/app/achievements/${achievement.id}/image/design`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      body: new URLSearchParams({ ...ltiFormFields(ltik), ...fields }).toString(),
    });
  const stored = async () => (await createAchievementRepository(sello.db).findById(achievement.id))!;
  const png = (width: number, height: number) => encodeRgbaPng({ width, height, rgba: new Uint8Array(width * height * 4).fill(180) });

  beforeAll(async () => {
    lms = await startSandboxLms({ productFamily: 'moodle' });
    sello = await startSelloWithPages();
    lms.addUser({ sub: 'prof', name: 'Profesora', locale: 'es' });
    lms.addUser({ sub: 'teacher', name: 'Teacher', locale: 'en' });
    lms.addUser({ sub: 'eva', name: 'Eva', locale: 'es' });
    lms.addCourse({ id: 'course-i', title: 'Química' });
    lms.enroll('course-i', 'prof', [ROLE.instructor]);
    lms.enroll('course-i', 'teacher', [ROLE.instructor]);
    lms.enroll('course-i', 'eva', [ROLE.learner]);
    registration = await registerSello(lms, sello.url);
    const platform = (await createPlatformRepository(sello.db).findByIssuerAndClient(lms.issuer, registration.clientId))!;
    teacherLtik = await launch('prof');
    learnerLtik = await launch('eva');
    const contextId = (await createOutcomeRepository(sello.db).findContextByLmsId(platform.id, 'course-i'))!.id;
    achievement = await createAchievementRepository(sello.db).create({ issuerId: platform.issuerId, contextId, name: 'Laboratorio <seguro>', criteria: { kind: 'all', rules: [] } });
  }, 120_000);
  afterAll(async () => {
    await sello?.close();
    await lms?.close();
  });

  it('shows the image form in the editor and on its own page, in Spanish, with the name escaped', async () => {
    const edit = await fetch(`${sello.url}/app/achievements/${achievement.id}/edit?ltik=${teacherLtik}`);
    expect(edit.status).toBe(200);
    const html = await edit.text();
    expect(html).toContain('Imagen de la insignia');
    expect(html).toContain('enctype="multipart/form-data"');
    expect(html).toContain('name="from" value="edit"');
    const page = await fetch(`${sello.url}/app/achievements/${achievement.id}/image?ltik=${teacherLtik}`);
    const pageHtml = await page.text();
    expect(page.status).toBe(200);
    expect(pageHtml).toContain('Laboratorio &lt;seguro&gt;');
    expect(pageHtml).not.toContain('<seguro>');
    expect(pageHtml).toContain('<label for="badge-file">Archivo PNG o SVG</label>');
    expect(pageHtml).not.toMatch(/img\.[a-z]+\.[a-z]/);
    // The current image before any upload is Sello's generated medal.
    const current = await fetch(`${sello.url}/app/achievements/${achievement.id}/image/current?ltik=${teacherLtik}`);
    expect(current.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    expect(current.headers.get('content-security-policy')).toContain('sandbox');
  });

  it('refuses a file that is not PNG or SVG, whatever its name and type say, keeping the image as it was', async () => {
    const res = await upload(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46]), 'badge.png', 'image/png');
    expect(res.status).toBe(400);
    const html = decodeHtml(await res.text());
    expect(html).toContain('No es un archivo PNG ni SVG');
    expect(html).toContain('aria-invalid="true"');
    expect((await stored()).imageUrl).toBeNull();
  });

  it('refuses a file over the size limit with the limit named', async () => {
    const big = Buffer.concat([Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><desc>'), Buffer.alloc(BADGE_UPLOAD_MAX_BYTES, 0x61), Buffer.from('</desc></svg>')]);
    const res = await upload(big, 'big.svg', 'image/svg+xml');
    expect(res.status).toBe(400);
    expect(decodeHtml(await res.text())).toContain('pesa más de 256 KB');
    expect((await stored()).imageUrl).toBeNull();
  });

  it('answers 413 with a code for a body far over the limit, and loses nothing', async () => {
    const res = await upload(Buffer.alloc(BADGE_UPLOAD_MAX_BYTES * 5, 0x61), 'huge.svg', 'image/svg+xml');
    expect(res.status).toBe(413);
    expect((await stored()).imageUrl).toBeNull();
  });

  it('refuses malicious SVGs (script, handler, external reference, javascript:) and names what it found', async () => {
    const payloads = [
      '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>',
      '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><circle r="5"/></svg>',
      '<svg xmlns="http://www.w3.org/2000/svg"><image href="https://tracker.example/p.png" width="9" height="9"/></svg>',
      '<svg xmlns="http://www.w3.org/2000/svg"><a href="javascript:alert(1)"><text>x</text></a></svg>',
      '<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><body xmlns="http://www.w3.org/1999/xhtml" onload="alert(1)"/></foreignObject></svg>',
      '<svg xmlns="http://www.w3.org/2000/svg"><style>@import url(https://evil.example/x.css);</style></svg>',
    ];
    for (const svg of payloads) {
      const res = await upload(svg, 'badge.svg', 'image/svg+xml');
      expect(res.status).toBe(400);
      const html = await res.text();
      expect(decodeHtml(html)).toContain('contiene scripts, manejadores de eventos o referencias');
      // What the file held is named in the message, escaped: never markup of the page.
      expect(html).not.toContain('<script>alert');
      expect(html).not.toMatch(/<[a-z]+[^>]*\sonload=/i);
    }
    expect((await stored()).imageUrl).toBeNull();
  });

  it('refuses an SVG with a DOCTYPE (entity expansion) and a PNG of the wrong size', async () => {
    const laughs = await upload('<!DOCTYPE svg [<!ENTITY a "aaaa">]><svg xmlns="http://www.w3.org/2000/svg"><text>&a;</text></svg>', 'x.svg', 'image/svg+xml');
    expect(laughs.status).toBe(400);
    expect(decodeHtml(await laughs.text())).toContain('no se puede leer con seguridad');
    const tiny = await upload(png(16, 16), 'tiny.png', 'image/png');
    expect(tiny.status).toBe(400);
    expect(decodeHtml(await tiny.text())).toContain('El PNG mide 16×16 píxeles');
    const empty = await upload(Buffer.alloc(0), 'empty.png', 'image/png');
    expect(empty.status).toBe(400);
    expect(decodeHtml(await empty.text())).toContain('Elige un archivo PNG o SVG');
  });

  it('stores an uploaded PNG as a data: URI that the baked PNG renderer draws', async () => {
    const res = await upload(png(200, 200), 'badge.png', 'image/png', teacherLtik, 'edit');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toMatch(new RegExp(`^/app/achievements/${achievement.id}/edit\\?ltik=.+&image=saved#badge-image$`));
    const image = (await stored()).imageUrl!;
    expect(image).toMatch(/^data:image\/png;base64,/);
    const { rows } = await sello.db.query<{ source: string; media_type: string }>('SELECT source, media_type FROM achievement_images WHERE achievement_id = $1', [achievement.id]);
    expect(rows).toEqual([{ source: 'upload', media_type: 'image/png' }]);
    const baked = renderBadgePng({ achievementName: achievement.name, issuerName: 'Sello', image });
    const header = readChunks(baked)[0]!.data;
    expect([header.readUInt32BE(0), header.readUInt32BE(4)]).toEqual([600, 600]);
    const current = await fetch(`${sello.url}/app/achievements/${achievement.id}/image/current?ltik=${teacherLtik}`);
    expect(current.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await current.arrayBuffer()).equals(Buffer.from(image.slice(22), 'base64'))).toBe(true);
  });

  it('stores a clean SVG as rebuilt by the sanitizer, without what it dropped', async () => {
    const svg = '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" viewBox="0 0 10 10"><metadata>x</metadata><circle cx="5" cy="5" r="4" fill="#0b6e4f" inkscape:label="c"/></svg>';
    const res = await upload(svg, 'badge.svg', 'image/svg+xml');
    expect(res.status).toBe(303);
    const image = (await stored()).imageUrl!;
    expect(Buffer.from(image.slice('data:image/svg+xml;base64,'.length), 'base64').toString()).toBe(
      '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 10 10"><circle cx="5" cy="5" r="4" fill="#0b6e4f"/></svg>',
    );
    const page = await fetch(`${sello.url}${res.headers.get('location')}`);
    expect(decodeHtml(await page.text())).toContain('Se guardó la imagen de la insignia');
  });

  it('shows the designer’s problems next to each field, keeping the other choices', async () => {
    const res = await design({ action: 'save', shape: 'triangle', icon: 'flask', background: 'red', accent: '#123456', foreground: '#ffffff', text: 'Lab' });
    expect(res.status).toBe(400);
    const html = decodeHtml(await res.text());
    expect(html).toContain('Elige una de las formas.');
    expect(html).toContain('Indica el color de fondo como #rrggbb.');
    expect(html).toContain('id="badge-shape-error"');
    expect(html).toContain('value="#123456"');
    expect(html).toContain('<option value="flask" selected>');
    expect(html).toContain('value="Lab"');
    expect((await stored()).imageUrl).toMatch(/^data:image\/svg\+xml/);
    const { rows } = await sello.db.query<{ source: string }>('SELECT source FROM achievement_images WHERE achievement_id = $1', [achievement.id]);
    expect(rows).toEqual([{ source: 'upload' }]);
  });

  it('previews a design without saving it, then saves it as the image credentials carry', async () => {
    const fields = { shape: 'shield', icon: 'flask', background: '#0b3d91', accent: '#ffcc00', foreground: '#ffffff', text: 'Lab & <seguro>' };
    const before = (await stored()).imageUrl;
    const preview = await design({ action: 'preview', ...fields });
    expect(preview.status).toBe(200);
    const previewHtml = await preview.text();
    expect(previewHtml).toContain('src="data:image/svg+xml;base64,');
    expect(previewHtml).toContain('value="Lab &amp; &lt;seguro&gt;"');
    expect((await stored()).imageUrl).toBe(before);
    const saved = await design({ action: 'save', ...fields });
    expect(saved.status).toBe(303);
    const image = (await stored()).imageUrl!;
    const svg = Buffer.from(image.slice('data:image/svg+xml;base64,'.length), 'base64').toString();
    expect(svg).toContain('fill="#0b3d91"');
    expect(svg).toContain('Lab &amp; &lt;seguro&gt;');
    expect(await createAchievementImageRepository(sello.db).find(achievement.id)).toMatchObject({ source: 'design', design: { shape: 'shield', icon: 'flask', text: 'Lab & <seguro>' } });
    // The designer opens again with the saved choices.
    const page = decodeHtml(await (await fetch(`${sello.url}/app/achievements/${achievement.id}/image?ltik=${teacherLtik}`)).text());
    expect(page).toContain('<option value="shield" selected>');
    expect(page).toContain('Una insignia diseñada aquí.');
  });

  it('serves the live preview as a sandboxed SVG', async () => {
    const res = await fetch(`${sello.url}/app/achievements/${achievement.id}/image/preview.svg?ltik=${teacherLtik}&shape=hexagon&icon=code&background=%23000000&accent=%23ffffff&foreground=%23ffffff&text=%3Cscript%3E`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain('sandbox');
    const svg = await res.text();
    expect(svg).toContain('<polygon');
    expect(svg).toContain('&lt;script&gt;');
    expect(svg).not.toContain('<script>');
  });

  it('goes back to the generated medal on request', async () => {
    const res = await fetch(`${sello.url}/app/achievements/${achievement.id}/image/remove`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(ltiFormFields(teacherLtik)).toString(),
    });
    expect(res.status).toBe(303);
    expect((await stored()).imageUrl).toBeNull();
    expect(await createAchievementImageRepository(sello.db).find(achievement.id)).toBeNull();
  });

  it('refuses learners, achievements of other courses and requests without a launch', async () => {
    const learner = await upload(png(100, 100), 'b.png', 'image/png', learnerLtik);
    expect(learner.status).toBe(403);
    const noLaunch = await fetch(`${sello.url}/app/achievements/${achievement.id}/image/design`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body: 'shape=circle' });
    // Without a launch there is no session to bind a form token to: refused before any route runs.
    expect(noLaunch.status).toBe(403);
    expect(((await noLaunch.json()) as { code: string }).code).toBe('csrf_failed');
    const other = await fetch(`${sello.url}/app/achievements/00000000-0000-4000-8000-000000000000/image?ltik=${teacherLtik}`, { headers: { accept: 'application/json' } });
    expect(other.status).toBe(404);
    expect(((await other.json()) as { code: string }).code).toBe('achievement_not_found');
    expect((await stored()).imageUrl).toBeNull();
  });
});
