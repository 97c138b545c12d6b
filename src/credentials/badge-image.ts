/**
 * The badge image Sello draws when an achievement has none (a clean SVG medal with the
 * achievement and issuer names), and the PNG that baked badges carry: the badge's own
 * image and the achievement's name, 600×600, rasterised with resvg (a prebuilt binary in
 * an npm package: no native build, no canvas). Should resvg be unavailable on a platform,
 * the PNG falls back to a plain medal without text.
 */
import crypto from 'node:crypto';
import { createRequire } from 'node:module';
import { encodeRgbaPng } from './png.ts';

/** Side of the baked PNG: 600 px is what LinkedIn and Open Graph previews expect at least. */
export const BADGE_PNG_SIZE = 600;

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** A colour derived from the name, so each badge looks different but stable. */
function hueOf(name: string): number {
  return crypto.createHash('sha256').update(name).digest()[0]! * (360 / 256);
}

function wrap(text: string, width: number, lines: number): string[] {
  const words = text.split(/\s+/).filter(Boolean);
  const out: string[] = [];
  let line = '';
  for (const word of words) {
    if ((line + ' ' + word).trim().length > width && line) {
      out.push(line);
      line = word;
    } else line = (line + ' ' + word).trim();
  }
  if (line) out.push(line);
  if (out.length > lines) {
    out.length = lines;
    out[lines - 1] = out[lines - 1]!.slice(0, width - 1) + '…';
  }
  return out;
}

/** A 400×400 SVG badge showing the achievement and issuer names. */
export function generateBadgeSvg(params: { achievementName: string; issuerName: string }): string {
  const hue = Math.round(hueOf(params.achievementName));
  const title = wrap(params.achievementName, 18, 3);
  const top = 200 - (title.length - 1) * 15;
  const titleLines = title
    .map((line, i) => `<text x="200" y="${top + i * 30}" font-size="26" font-weight="700">${escapeXml(line)}</text>`)
    .join('');
  return [
    '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="400" viewBox="0 0 400 400" role="img">',
    `<title>${escapeXml(params.achievementName)}</title>`,
    `<circle cx="200" cy="200" r="190" fill="hsl(${hue},55%,32%)"/>`,
    `<circle cx="200" cy="200" r="172" fill="none" stroke="hsl(${hue},70%,75%)" stroke-width="6"/>`,
    `<g fill="#fff" text-anchor="middle" font-family="system-ui,Segoe UI,Helvetica,Arial,sans-serif">`,
    titleLines,
    `<text x="200" y="318" font-size="16" opacity=".85">${escapeXml(wrap(params.issuerName, 30, 1)[0] ?? '')}</text>`,
    '</g></svg>',
  ].join('');
}

function hslToRgb(h: number, s: number, l: number): [number, number, number] {
  const k = (n: number) => (n + h / 30) % 12;
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => l - a * Math.max(-1, Math.min(k(n) - 3, Math.min(9 - k(n), 1)));
  return [Math.round(f(0) * 255), Math.round(f(8) * 255), Math.round(f(4) * 255)];
}

/** A 200×200 PNG medal in the badge's colour (transparent corners, a ring). */
export function generateBadgePng(params: { achievementName: string }): Buffer {
  const size = 200;
  const hue = hueOf(params.achievementName);
  const fill = hslToRgb(hue, 0.55, 0.32);
  const ring = hslToRgb(hue, 0.7, 0.75);
  const rgba = new Uint8Array(size * size * 4);
  for (let y = 0; y < size; y += 1) {
    for (let x = 0; x < size; x += 1) {
      const d = Math.hypot(x - size / 2 + 0.5, y - size / 2 + 0.5);
      const i = (y * size + x) * 4;
      if (d > 95) continue;
      const [r, g, b] = d > 83 && d < 87 ? ring : fill;
      rgba[i] = r;
      rgba[i + 1] = g;
      rgba[i + 2] = b;
      rgba[i + 3] = 255;
    }
  }
  return encodeRgbaPng({ width: size, height: size, rgba });
}

type ResvgClass = new (svg: string, options: Record<string, unknown>) => { render(): { asPng(): Buffer } };
let resvg: ResvgClass | null | undefined;
/** resvg, loaded on first use; null when its binary is missing for this platform. */
function loadResvg(): ResvgClass | null {
  if (resvg === undefined) {
    try {
      resvg = (createRequire(import.meta.url)('@resvg/resvg-js') as { Resvg: ResvgClass }).Resvg;
    } catch {
      resvg = null;
    }
  }
  return resvg;
}

/**
 * References to anything but inline data or the document itself are dropped before
 * rasterising: the renderer must never read a file or a URL named by a badge image.
 */
function withoutExternalReferences(svg: string): string {
  return svg.replace(/\s(?:xlink:)?href\s*=\s*(["'])(?!data:image\/|#)[^"']*\1/gi, '');
}

const DATA_IMAGE = /^data:image\/(png|svg\+xml|jpeg|gif|webp);base64,[A-Za-z0-9+/=]+$/;

/**
 * The baked PNG's picture, 600×600: the badge's image (an inline PNG or SVG; Sello does
 * not fetch remote images) with the achievement's name beneath it, or Sello's medal, which
 * carries the name itself, when the image is that medal or is not inline.
 */
export function renderBadgePng(params: { achievementName: string; issuerName: string; image?: string | null }): Buffer {
  const Resvg = loadResvg();
  if (!Resvg) return generateBadgePng({ achievementName: params.achievementName });
  const size = BADGE_PNG_SIZE;
  const image = params.image && DATA_IMAGE.test(params.image) ? params.image : null;
  const svgImage = image?.startsWith('data:image/svg+xml;base64,') ? Buffer.from(image.slice(26), 'base64').toString('utf8') : null;
  const namesItself = svgImage !== null && svgImage.includes(`>${escapeXml(wrap(params.achievementName, 18, 3)[0] ?? '')}<`);
  let svg: string;
  if (!image || namesItself) {
    svg = svgImage ?? generateBadgeSvg(params);
  } else {
    const href = svgImage ? `data:image/svg+xml;base64,${Buffer.from(withoutExternalReferences(svgImage)).toString('base64')}` : image;
    const title = wrap(params.achievementName, 34, 2);
    const lines = title.map((line, i) => `<text x="300" y="${528 + i * 34 - (title.length - 1) * 17}" font-size="30" font-weight="700">${escapeXml(line)}</text>`).join('');
    svg = [
      `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 600 600">`,
      '<rect width="600" height="600" rx="36" fill="#fff"/>',
      `<image href="${href}" x="100" y="24" width="400" height="400" preserveAspectRatio="xMidYMid meet"/>`,
      `<g fill="#1b1f24" text-anchor="middle" font-family="DejaVu Sans,Liberation Sans,Helvetica,Arial,sans-serif">${lines}</g>`,
      '</svg>',
    ].join('');
  }
  try {
    return new Resvg(withoutExternalReferences(svg), {
      fitTo: { mode: 'width', value: size },
      font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
    }).render().asPng();
  } catch {
    return generateBadgePng({ achievementName: params.achievementName });
  }
}
