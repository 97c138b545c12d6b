/**
 * The badge SVG sanitizer against known SVG XSS payloads (OWASP filter-evasion cheat
 * sheet, the classic SVG/xlink tricks, entity and encoding games), with property-based
 * checks that whatever it lets through carries no script, handler or external reference.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sanitizeSvg } from '../../../src/credentials/svg-sanitizer.ts';
import { readBadgeUpload, BADGE_UPLOAD_MAX_BYTES } from '../../../src/credentials/badge-upload.ts';
import { designBadgeSvg, parseBadgeDesign, DEFAULT_BADGE_DESIGN } from '../../../src/credentials/badge-design.ts';
import { encodeRgbaPng, readChunks, writeChunks } from '../../../src/credentials/png.ts';

const wrap = (inner: string, rootAttributes = '') => `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"${rootAttributes}>${inner}</svg>`;

/** Payloads that must be refused as dangerous (the file is rejected, not silently cleaned). */
const dangerous: Record<string, string> = {
  'script element': wrap('<script>alert(1)</script>'),
  'script with xlink:href': wrap('<script xlink:href="https://evil.example/x.js"/>', ' xmlns:xlink="http://www.w3.org/1999/xlink"'),
  'uppercase SCRIPT': wrap('<SCRIPT>alert(1)</SCRIPT>'),
  'prefixed svg:script': wrap('<svg:script xmlns:svg="http://www.w3.org/2000/svg">alert(1)</svg:script>'),
  'script inside an unknown element': wrap('<metadata><script>alert(1)</script></metadata>'),
  'onload on the root': '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
  'onclick on a shape': wrap('<rect width="5" height="5" onclick="alert(1)"/>'),
  'ONMOUSEOVER uppercase': wrap('<circle r="3" ONMOUSEOVER="alert(1)"/>'),
  'onbegin on animate': wrap('<animate onbegin="alert(1)" attributeName="x" dur="1s"/>'),
  'namespaced handler': wrap('<rect x:onload="alert(1)" xmlns:x="http://www.w3.org/2000/svg"/>'),
  'foreignObject with HTML': wrap('<foreignObject width="10" height="10"><iframe xmlns="http://www.w3.org/1999/xhtml" src="javascript:alert(1)"/></foreignObject>'),
  'a with javascript: href': wrap('<a href="javascript:alert(1)"><text>x</text></a>'),
  'a with xlink:href': wrap('<a xlink:href="javascript:alert(1)"><rect width="1" height="1"/></a>', ' xmlns:xlink="http://www.w3.org/1999/xlink"'),
  'use of an external sprite': wrap('<use href="https://evil.example/sprite.svg#x"/>'),
  'use of a data: SVG (script inside)': wrap(`<use href="data:image/svg+xml;base64,${Buffer.from(wrap('<script>alert(1)</script>')).toString('base64')}#x"/>`),
  'image from a remote URL': wrap('<image href="https://tracker.example/p.png" width="1" height="1"/>'),
  'image of an SVG data URI': wrap(`<image href="data:image/svg+xml;base64,${Buffer.from(wrap('<script>alert(1)</script>')).toString('base64')}"/>`),
  'image from a file': wrap('<image xlink:href="file:///etc/passwd" width="1" height="1"/>', ' xmlns:xlink="http://www.w3.org/1999/xlink"'),
  'gradient href to another document': wrap('<linearGradient id="g" href="other.svg#g"/>'),
  'javascript: in fill via character references': wrap('<rect fill="&#106;avascript:alert(1)"/>'),
  'javascript: with tabs': wrap('<rect filter="java&#9;script:alert(1)"/>'),
  'fill url to another document': wrap('<rect fill="url(https://evil.example/p.svg#g)"/>'),
  'filter url with quotes to a remote': wrap(`<rect filter="url('//evil.example/f.svg#f')"/>`),
  'style element with @import': wrap('<style>@import url(https://evil.example/x.css);</style>'),
  'style element with a remote url()': wrap('<style>rect { fill: url(https://evil.example/p.svg#a) }</style>'),
  'style element with a background image': wrap('<style>svg { background-image: url("http://evil.example/track.png") }</style>'),
  'style element with CSS escapes': wrap('<style>rect { fill: u\\72l(https://evil.example) }</style>'),
  'style element in CDATA with javascript:': wrap('<style><![CDATA[rect { behavior: url(#x); background: url(javascript:alert(1)) }]]></style>'),
  'style attribute with a remote url()': wrap('<rect style="fill:url(https://evil.example/x)"/>'),
  'style attribute with expression()': wrap('<rect style="width:expression(alert(1))"/>'),
  'style type other than CSS': wrap('<style type="text/ecmascript">alert(1)</style>'),
  'iframe': wrap('<iframe src="https://evil.example"/>'),
  'embed': wrap('<embed src="https://evil.example/x.swf"/>'),
  'object': wrap('<object data="https://evil.example/x"/>'),
  'set changing href to javascript:': wrap('<a><set attributeName="href" to="javascript:alert(1)"/><text>x</text></a>'),
  'animate of href': wrap('<animate attributeName="href" values="javascript:alert(1)"/>'),
  'feImage to a remote': wrap('<filter id="f"><feImage href="https://evil.example/x.png"/></filter>'),
  'root in the XHTML namespace': '<svg xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></svg>',
  'vbscript in an attribute': wrap('<rect class="vbscript:msgbox(1)"/>'),
};

/** Input that is not the XML subset Sello reads (refused as unreadable). */
const unreadable: Record<string, string> = {
  'billion laughs (DOCTYPE with entities)': '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><svg xmlns="http://www.w3.org/2000/svg"><text>&lol2;</text></svg>',
  'external entity (XXE)': '<!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><svg xmlns="http://www.w3.org/2000/svg"><text>&xxe;</text></svg>',
  'undeclared named entity': wrap('<text>&nbsp;</text>'),
  'unquoted handler (HTML style)': '<svg xmlns="http://www.w3.org/2000/svg" onload=alert(1)></svg>',
  'processing instruction (stylesheet)': '<svg xmlns="http://www.w3.org/2000/svg"><?xml-stylesheet href="https://evil.example/x.css"?></svg>',
  'a stylesheet PI before the root': '<?xml-stylesheet type="text/xsl" href="https://evil.example/x.xsl"?><svg xmlns="http://www.w3.org/2000/svg"/>',
  'mismatched tags': wrap('<g><rect></g></rect>'),
  'unclosed root': '<svg xmlns="http://www.w3.org/2000/svg"><g>',
  'HTML, not SVG': '<html><body onload="alert(1)"></body></html>',
  'two roots': '<svg xmlns="http://www.w3.org/2000/svg"/><svg xmlns="http://www.w3.org/2000/svg"/>',
  'a NUL byte': wrap('<text>a\u0000b</text>'),
  'a NUL character reference': wrap('<text>&#0;</text>'),
  'duplicate attribute': wrap('<rect fill="red" fill="blue"/>'),
  'text before the root': 'hello<svg xmlns="http://www.w3.org/2000/svg"/>',
};

describe('sanitizeSvg', () => {
  for (const [name, svg] of Object.entries(dangerous)) {
    it(`refuses ${name}`, () => {
      const result = sanitizeSvg(svg);
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.reason).toBe('dangerous');
        expect(result.problems.length).toBeGreaterThan(0);
      }
    });
  }

  for (const [name, svg] of Object.entries(unreadable)) {
    it(`refuses ${name} as unreadable`, () => {
      const result = sanitizeSvg(svg);
      expect(result).toMatchObject({ ok: false, reason: 'unreadable' });
    });
  }

  it('keeps an ordinary badge: shapes, gradients by #fragment, text, styles without urls, an inline PNG', () => {
    const png = encodeRgbaPng({ width: 1, height: 1, rgba: new Uint8Array([255, 0, 0, 255]) }).toString('base64');
    const source = `<?xml version="1.0" encoding="UTF-8"?>
<!-- made by hand -->
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="100" height="100" viewBox="0 0 100 100">
  <title>Chemistry &amp; lab</title>
  <defs><linearGradient id="g"><stop offset="0" stop-color="#fff"/><stop offset="1" stop-color="#00f"/></linearGradient></defs>
  <style type="text/css"><![CDATA[ .big > tspan { font-size: 20px } ]]></style>
  <circle cx="50" cy="50" r="45" fill="url(#g)" style="stroke:#333;stroke-width:2"/>
  <use xlink:href="#g"/>
  <image href="data:image/png;base64,${png}" width="10" height="10"/>
  <text x="50" y="55" class="big" text-anchor="middle"><tspan>Lab &lt;1&gt;</tspan></text>
</svg>`;
    const result = sanitizeSvg(source);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.svg).toContain('<title>Chemistry &amp; lab</title>');
    expect(result.svg).toContain('fill="url(#g)"');
    expect(result.svg).toContain('xlink:href="#g"');
    expect(result.svg).toContain(`xlink:href="data:image/png;base64,${png}"`);
    expect(result.svg).toContain('.big &gt; tspan');
    expect(result.svg).toContain('<tspan>Lab &lt;1&gt;</tspan>');
    expect(result.svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"')).toBe(true);
  });

  it("drops editors' metadata and unknown attributes without refusing the file", () => {
    const result = sanitizeSvg(
      wrap(
        '<metadata><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/></metadata><sodipodi:namedview xmlns:sodipodi="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd" pagecolor="#fff"/><rect inkscape:label="Layer" data-x="1" width="4" height="4"/>',
      ),
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.svg).toBe('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 10 10"><rect width="4" height="4"/></svg>');
    expect(result.dropped).toEqual(expect.arrayContaining(['<metadata>', '<sodipodi:namedview>', 'inkscape:label=""', 'data-x=""']));
  });

  it('writes every kept value escaped: no markup can be smuggled through a title or an attribute', () => {
    const result = sanitizeSvg(wrap('<title>&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;</title><rect class="&quot; onload=&quot;alert(1)"/>'));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.svg).not.toMatch(/<script/i);
    expect(result.svg).toContain('class="&quot; onload=&quot;alert(1)"');
    expect(sanitizeSvg(result.svg).ok).toBe(true);
  });

  it('judges a <style> whole: a comment or CDATA section cannot split a URL or an @import past it', () => {
    for (const css of [
      'rect{fill:u<![CDATA[rl(http://e.example/x)]]>}',
      'rect{fill:u<!-- -->rl(http://e.example/x)}',
      '@imp<![CDATA[ort "http://e.example/x.css";]]>',
    ]) {
      const result = sanitizeSvg(wrap(`<style>${css}</style>`));
      expect(result).toMatchObject({ ok: false, reason: 'dangerous' });
    }
  });

  it('lets nothing executable or external through, whatever the input (property-based)', () => {
    const pieces = [
      '<script>', '</script>', '<g>', '</g>', '<rect width="1"/>', ' onload="x()"', '<a href="javascript:x">', '</a>', 'href="#a"',
      '<use href="http://e.example/#a"/>', '<style>', '</style>', 'url(http://e.example)', '@import "x";', '&amp;', '&#106;', '<![CDATA[', ']]>',
      '<foreignObject>', '</foreignObject>', '<text>', '</text>', 'javascript:', '<image href="data:image/png;base64,AAAA"/>', '"', "'", '<', '>', ' ',
      '<!--', '-->', '<!DOCTYPE x>', '<?x?>', 'fill="url(#a)"', '<set attributeName="href" to="javascript:x"/>', 'u', 'rl(http://e.example)', '@imp', 'ort "x";',
    ];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 30 }), (parts) => {
        const result = sanitizeSvg(wrap(parts.join('')));
        if (!result.ok) return;
        // Words shown in <text>, <title> or <desc> are never run: "javascript:" or "@import" there is
        // harmless. What is read is the markup (tags and attributes) and the CSS inside <style>.
        const out = result.svg.toLowerCase();
        const css = [...out.matchAll(/<style\b[^>]*>([^<]*)<\/style>/g)].map((m) => m[1]).join(' ');
        const lower = `${out.replace(/>[^<]*</g, '><')} ${css}`;
        expect(lower).not.toMatch(/<(?:script|foreignobject|a|set|animate|iframe)[\s>/]/);
        expect(lower).not.toMatch(/<[^>]*\son\w+\s*=/); // an event handler is an attribute of a tag
        expect(lower).not.toContain('javascript:');
        expect(lower).not.toMatch(/href="(?!#|data:image\/png;base64,)/);
        expect(lower).not.toMatch(/url\((?!#)/);
        expect(lower).not.toContain('@import');
        // What comes out is itself accepted unchanged: the output is in the subset.
        const again = sanitizeSvg(result.svg);
        expect(again.ok && again.svg).toBe(result.svg);
      }),
      { numRuns: Number(process.env.SVG_PROPERTY_RUNS ?? 400) },
    );
  });
});

describe('readBadgeUpload', () => {
  const png = (width: number, height: number) => encodeRgbaPng({ width, height, rgba: new Uint8Array(width * height * 4).fill(200) });

  it('accepts a PNG by its signature and drops its text and baked-credential chunks', () => {
    const chunks = readChunks(png(128, 128));
    const withText = writeChunks([chunks[0]!, { type: 'iTXt', data: Buffer.from('openbadgecredential\0\0\0\0\0{"x":1}') }, ...chunks.slice(1)]);
    const result = readBadgeUpload(withText);
    expect(result).toMatchObject({ ok: true, mediaType: 'image/png', width: 128, height: 128 });
    if (!result.ok) return;
    const stored = Buffer.from(result.dataUri.slice('data:image/png;base64,'.length), 'base64');
    expect(readChunks(stored).map((chunk) => chunk.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
  });

  it('refuses a PNG that is too small, too large in pixels, truncated or with a bad CRC', () => {
    expect(readBadgeUpload(png(16, 16))).toMatchObject({ ok: false, problem: 'png_dimensions' });
    expect(readBadgeUpload(png(3000, 64))).toMatchObject({ ok: false, problem: 'png_dimensions' });
    const good = png(64, 64);
    expect(readBadgeUpload(good.subarray(0, good.length - 6))).toMatchObject({ ok: false, problem: 'png_unreadable' });
    const corrupt = Buffer.from(good);
    corrupt[20] ^= 0xff;
    expect(readBadgeUpload(corrupt)).toMatchObject({ ok: false, problem: 'png_unreadable' });
  });

  it('refuses other types whatever their name says, empty files and files over the limit', () => {
    expect(readBadgeUpload(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]))).toMatchObject({ ok: false, problem: 'unsupported_type' });
    expect(readBadgeUpload(Buffer.from('GIF89a....'))).toMatchObject({ ok: false, problem: 'unsupported_type' });
    expect(readBadgeUpload(Buffer.from('<html><script>alert(1)</script></html>'))).toMatchObject({ ok: false, problem: 'unsupported_type' });
    expect(readBadgeUpload(Buffer.alloc(0))).toMatchObject({ ok: false, problem: 'empty' });
    expect(readBadgeUpload(Buffer.alloc(BADGE_UPLOAD_MAX_BYTES + 1, 0x20))).toMatchObject({ ok: false, problem: 'too_large' });
  });

  it('accepts a clean SVG as its rebuilt form and refuses a malicious one', () => {
    const ok = readBadgeUpload(Buffer.from(wrap('<circle r="4" cx="5" cy="5"/>')));
    expect(ok).toMatchObject({ ok: true, mediaType: 'image/svg+xml' });
    expect(readBadgeUpload(Buffer.from(dangerous['onload on the root']!))).toMatchObject({ ok: false, problem: 'svg_dangerous' });
    expect(readBadgeUpload(Buffer.from(unreadable['billion laughs (DOCTYPE with entities)']!))).toMatchObject({ ok: false, problem: 'svg_unreadable' });
  });
});

describe('designBadgeSvg', () => {
  it('draws an SVG the sanitizer accepts unchanged, with the text escaped', () => {
    const { design, problems } = parseBadgeDesign({ shape: 'shield', icon: 'flask', background: '#112233', accent: '#AABBCC', foreground: '#ffffff', text: '<script>alert(1)</script> & lab' });
    expect(problems).toEqual([]);
    const svg = designBadgeSvg({ design, achievementName: 'Química "1"' });
    expect(svg).toContain('&lt;script&gt;');
    expect(svg).toContain('#aabbcc');
    const result = sanitizeSvg(svg);
    // The same document; the sanitizer writes quotes in text as they are.
    expect(result.ok && result.svg).toBe(svg.replaceAll('&quot;', '"').replace('<svg xmlns="http://www.w3.org/2000/svg"', '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'));
  });

  it('names each field that is not valid, and falls back to the defaults for them', () => {
    const { design, problems } = parseBadgeDesign({ shape: 'triangle', icon: 'skull', background: 'red', accent: '#12345', foreground: '#ffffff"/><script>', text: 'x'.repeat(61) });
    expect(problems.sort()).toEqual(['accent', 'background', 'foreground', 'icon', 'shape', 'text']);
    expect(design).toMatchObject({ shape: DEFAULT_BADGE_DESIGN.shape, icon: DEFAULT_BADGE_DESIGN.icon, background: DEFAULT_BADGE_DESIGN.background });
  });
});
