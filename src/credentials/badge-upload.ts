/**
 * Badge images an instructor uploads (PNG or SVG), checked by their bytes, never by the
 * file name or the browser's content type, and turned into the data: URI that goes into
 * the achievement's `image` (OB 3.0 §B.1.14 Image: "the URI or Data URI of the image").
 * A data: URI is what the baked PNG renderer reads (it never fetches) and it survives
 * Sello, like the credential itself.
 */
import { readChunks, writeChunks } from './png.ts';
import { sanitizeSvg } from './svg-sanitizer.ts';

/** Largest upload accepted: the image is inlined in every credential of the achievement. */
export const BADGE_UPLOAD_MAX_BYTES = 256 * 1024;
export const BADGE_PNG_MIN_SIDE = 64;
export const BADGE_PNG_MAX_SIDE = 2048;

export type BadgeUploadProblem = 'empty' | 'too_large' | 'unsupported_type' | 'png_unreadable' | 'png_dimensions' | 'svg_unreadable' | 'svg_dangerous';

export type BadgeUploadResult =
  | { ok: true; mediaType: 'image/png' | 'image/svg+xml'; dataUri: string; width?: number; height?: number }
  | { ok: false; problem: BadgeUploadProblem; details: string[] };

/**
 * PNG chunks kept: what draws the picture. Text, EXIF and any baked credential of another
 * badge (`iTXt`) are left out, so the upload carries no hidden metadata into credentials.
 */
const KEPT_PNG_CHUNKS = new Set(['IHDR', 'PLTE', 'IDAT', 'IEND', 'tRNS', 'gAMA', 'cHRM', 'sRGB', 'iCCP', 'sBIT', 'pHYs']);

function checkPng(bytes: Buffer): BadgeUploadResult {
  let chunks;
  try {
    chunks = readChunks(bytes);
  } catch (error) {
    return { ok: false, problem: 'png_unreadable', details: [(error as Error).message] };
  }
  const header = chunks[0]!.data;
  if (header.length !== 13) return { ok: false, problem: 'png_unreadable', details: ['IHDR is not 13 bytes'] };
  const width = header.readUInt32BE(0);
  const height = header.readUInt32BE(4);
  if (!chunks.some((chunk) => chunk.type === 'IDAT')) return { ok: false, problem: 'png_unreadable', details: ['No image data'] };
  if (width < BADGE_PNG_MIN_SIDE || height < BADGE_PNG_MIN_SIDE || width > BADGE_PNG_MAX_SIDE || height > BADGE_PNG_MAX_SIDE) {
    return { ok: false, problem: 'png_dimensions', details: [`${width}×${height}`] };
  }
  const kept = chunks.filter((chunk) => KEPT_PNG_CHUNKS.has(chunk.type));
  const png = writeChunks(kept);
  return { ok: true, mediaType: 'image/png', dataUri: `data:image/png;base64,${png.toString('base64')}`, width, height };
}

/**
 * Checks an uploaded badge image and returns its data: URI (a PNG without metadata
 * chunks, or the SVG as rebuilt by `sanitizeSvg`), or the problem found.
 */
export function readBadgeUpload(bytes: Buffer): BadgeUploadResult {
  if (bytes.length === 0) return { ok: false, problem: 'empty', details: [] };
  if (bytes.length > BADGE_UPLOAD_MAX_BYTES) return { ok: false, problem: 'too_large', details: [String(bytes.length)] };
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return checkPng(bytes);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { ok: false, problem: 'unsupported_type', details: [] };
  }
  // An SVG starts with markup (after an optional BOM, XML declaration, comments): anything
  // else (JPEG, GIF, a PDF, text) is not a type Sello takes.
  if (!/^\ufeff?\s*</.test(text) || !/<svg[\s>/]/.test(text)) return { ok: false, problem: 'unsupported_type', details: [] };
  const result = sanitizeSvg(text);
  if (!result.ok) return { ok: false, problem: result.reason === 'dangerous' ? 'svg_dangerous' : 'svg_unreadable', details: result.problems };
  return { ok: true, mediaType: 'image/svg+xml', dataUri: `data:image/svg+xml;base64,${Buffer.from(result.svg, 'utf8').toString('base64')}` };
}
