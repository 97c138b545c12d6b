/**
 * An allow-list sanitizer for badge images uploaded as SVG.
 *
 * An uploaded SVG ends up in credentials (as a data: URI), in `/credentials/:id/badge.svg`
 * served from Sello's own origin, and in the rasteriser of the baked PNG. So it must not
 * run anything, load anything, or link anywhere. The approach is to *rebuild* the image
 * rather than to clean the input: the input is read by a strict XML reader (no DOCTYPE,
 * no entities but the five predefined ones and character references, no processing
 * instructions, no CDATA), and the output is written by Sello from what the allow-lists
 * keep, so what leaves this function is never the uploader's bytes.
 *
 * Refused outright (the `dangerous` list; the upload is rejected and the instructor told
 * why): `script`, `foreignObject` and other embedding elements, event handler attributes
 * (`on*`), `href`/`xlink:href` to anything but an in-document `#fragment` (or, on
 * `<image>`, an inline raster `data:image/…;base64`), `javascript:` (or any other scheme)
 * in any attribute, `url(…)` to anything but `#fragment`, and `@import`, CSS escapes or
 * `expression(` in `<style>` and `style=""`. Dropped silently: harmless elements and
 * attributes that are simply not on the lists (editor metadata such as Inkscape's).
 *
 * SVG 1.1 §5.3 (xlink:href), §6.4 (style), SVG 2 §16 (links and `href`).
 */

export type SvgSanitizeResult =
  | { ok: true; svg: string; /** What was not on the lists and was left out (harmless). */ dropped: string[] }
  | { ok: false; reason: 'unreadable' | 'dangerous'; problems: string[] };

const SVG_NS = 'http://www.w3.org/2000/svg';
const XLINK_NS = 'http://www.w3.org/1999/xlink';

/** Elements kept (their SVG names, case-sensitive as in SVG). */
const ELEMENTS = new Set([
  'svg', 'g', 'defs', 'title', 'desc', 'symbol', 'use', 'style',
  'path', 'rect', 'circle', 'ellipse', 'line', 'polyline', 'polygon',
  'text', 'tspan',
  'linearGradient', 'radialGradient', 'stop', 'pattern', 'clipPath', 'mask', 'image',
  'filter', 'feGaussianBlur', 'feOffset', 'feFlood', 'feComposite', 'feMerge', 'feMergeNode', 'feBlend', 'feColorMatrix', 'feDropShadow',
]);

/** Elements whose presence alone refuses the file: they run code, embed documents or link out. */
const FORBIDDEN_ELEMENTS = new Set([
  'script', 'foreignObject', 'iframe', 'embed', 'object', 'audio', 'video', 'canvas', 'a', 'animate', 'set', 'animateTransform',
  'animateMotion', 'handler', 'listener', 'feImage', 'textPath', 'cursor', 'font-face-uri', 'discard',
].map((name) => name.toLowerCase()));

/** Elements that may hold text. */
const TEXT_ELEMENTS = new Set(['title', 'desc', 'text', 'tspan', 'style']);

/** Attributes kept on any kept element. */
const ATTRIBUTES = new Set([
  'id', 'class', 'x', 'y', 'x1', 'y1', 'x2', 'y2', 'cx', 'cy', 'r', 'rx', 'ry', 'fx', 'fy', 'fr', 'width', 'height', 'd', 'points',
  'transform', 'viewBox', 'preserveAspectRatio', 'version', 'role', 'aria-label', 'aria-hidden', 'lang', 'xml:lang', 'xml:space',
  'fill', 'fill-opacity', 'fill-rule', 'stroke', 'stroke-width', 'stroke-linecap', 'stroke-linejoin', 'stroke-dasharray',
  'stroke-dashoffset', 'stroke-miterlimit', 'stroke-opacity', 'opacity', 'visibility', 'display', 'color', 'paint-order', 'vector-effect',
  'font-family', 'font-size', 'font-weight', 'font-style', 'font-variant', 'text-anchor', 'dominant-baseline', 'alignment-baseline',
  'baseline-shift', 'letter-spacing', 'word-spacing', 'text-decoration', 'dx', 'dy', 'rotate', 'textLength', 'lengthAdjust',
  'offset', 'stop-color', 'stop-opacity', 'gradientUnits', 'gradientTransform', 'spreadMethod',
  'clip-path', 'clip-rule', 'clipPathUnits', 'mask', 'maskUnits', 'maskContentUnits', 'patternUnits', 'patternContentUnits', 'patternTransform',
  'filter', 'filterUnits', 'primitiveUnits', 'stdDeviation', 'in', 'in2', 'result', 'flood-color', 'flood-opacity', 'operator',
  'k1', 'k2', 'k3', 'k4', 'values', 'mode', 'style', 'href', 'xlink:href', 'shape-rendering', 'text-rendering', 'image-rendering',
  'color-interpolation-filters', 'mix-blend-mode', 'isolation',
]);

/** `type` is meaningful (and harmless) only on these. */
const TYPE_ATTRIBUTE_ON = new Set(['feColorMatrix', 'style']);

const INLINE_RASTER = /^data:image\/(?:png|jpeg|gif|webp);base64,[A-Za-z0-9+/=\s]+$/;
const FRAGMENT = /^#[A-Za-z_][\w.:-]*$/;
const NAME = /^[A-Za-z_][\w.:-]*$/;
const MAX_DEPTH = 64;
const MAX_ELEMENTS = 20_000;

/** `url(` to anything but `#fragment`, `@import`, CSS escapes (which hide the rest), old IE expressions, bindings. */
function cssProblem(css: string): string | null {
  const lower = css.toLowerCase();
  if (lower.includes('\\')) return 'CSS escapes';
  if (/@import|@font-face|@namespace/.test(lower)) return 'an @import or @font-face rule';
  if (/expression\s*\(|-moz-binding|behavior\s*:/.test(lower)) return 'a scripted CSS property';
  if (/(?:javascript|vbscript|data)\s*:/.test(lower)) return 'a script or data URL in CSS';
  for (const match of lower.matchAll(/url\s*\(\s*(['"]?)\s*([^'")\s]*)/g)) {
    if (!FRAGMENT.test(match[2] ?? '')) return `url(${match[2]}) that is not a #fragment`;
  }
  if (/<\/?\s*[a-z!]/.test(lower)) return 'markup inside CSS';
  return null;
}

/** A scheme hiding in a value, after the control characters and spaces browsers skip. */
function hasScheme(value: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /(?:javascript|vbscript|livescript|data)\s*:/i.test(value.replace(/[\u0000-\u0020\u007f-\u00a0\u00ad\u200b-\u200f\u2028\u2029\ufeff]/g, ''));
}

interface Token {
  kind: 'open' | 'close' | 'text';
  name?: string;
  attributes?: Array<[string, string]>;
  selfClosing?: boolean;
  text?: string;
}

class Unreadable extends Error {}

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeEntities(text: string): string {
  return text.replace(/&([^;&\s<]{0,12});|&/g, (whole, body: string | undefined) => {
    if (body === undefined) throw new Unreadable('A bare "&" (only &amp;, &lt;, &gt;, &quot;, &apos; and character references are read)');
    if (PREDEFINED[body]) return PREDEFINED[body]!;
    const numeric = /^#(?:x([0-9a-fA-F]{1,6})|([0-9]{1,7}))$/.exec(body);
    if (!numeric) throw new Unreadable(`The entity ${whole} is not allowed`);
    const code = numeric[1] !== undefined ? parseInt(numeric[1], 16) : parseInt(numeric[2]!, 10);
    if (code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) throw new Unreadable(`The character reference ${whole} is not a character`);
    return String.fromCodePoint(code);
  });
}

/** A strict reader of the XML subset an SVG badge needs; throws Unreadable on anything else. */
function* tokens(source: string): Generator<Token> {
  let i = 0;
  const n = source.length;
  while (i < n) {
    const lt = source.indexOf('<', i);
    if (lt < 0 || lt > i) {
      const end = lt < 0 ? n : lt;
      const text = source.slice(i, end);
      if (text.includes('>') && text.includes(']]>')) throw new Unreadable('Stray "]]>"');
      yield { kind: 'text', text: decodeEntities(text) };
      i = end;
      continue;
    }
    if (source.startsWith('<!--', i)) {
      const end = source.indexOf('-->', i + 4);
      if (end < 0) throw new Unreadable('An unclosed comment');
      i = end + 3;
      continue;
    }
    if (source.startsWith('<?', i)) {
      // Only the XML declaration, and only first (after an optional BOM and nothing else).
      const end = source.indexOf('?>', i + 2);
      if (end < 0 || !/^<\?xml[\s?]/.test(source.slice(i, i + 6)) || source.slice(0, i).replace(/^\ufeff/, '') !== '') {
        throw new Unreadable('Processing instructions are not allowed');
      }
      i = end + 2;
      continue;
    }
    if (source.startsWith('<![CDATA[', i)) {
      // Character data as it stands (editors wrap <style> in it): text, never markup.
      const end = source.indexOf(']]>', i + 9);
      if (end < 0) throw new Unreadable('An unclosed CDATA section');
      yield { kind: 'text', text: source.slice(i + 9, end) };
      i = end + 3;
      continue;
    }
    if (source.startsWith('<!', i)) throw new Unreadable('DOCTYPE and entity declarations are not allowed');
    if (source.startsWith('</', i)) {
      const match = /^<\/([^\s>/]+)\s*>/.exec(source.slice(i, i + 300));
      if (!match) throw new Unreadable('A malformed closing tag');
      yield { kind: 'close', name: match[1]! };
      i += match[0].length;
      continue;
    }
    // An opening tag: name, then attributes with quoted values, then > or />.
    const nameMatch = /^<([^\s>/=<"']+)/.exec(source.slice(i, i + 300));
    if (!nameMatch || !NAME.test(nameMatch[1]!)) throw new Unreadable('A malformed tag');
    let j = i + nameMatch[0].length;
    const attributes: Array<[string, string]> = [];
    const seen = new Set<string>();
    for (;;) {
      const space = /^\s*/.exec(source.slice(j, j + 10_000))![0].length;
      j += space;
      if (source.startsWith('/>', j)) {
        yield { kind: 'open', name: nameMatch[1]!, attributes, selfClosing: true };
        j += 2;
        break;
      }
      if (source[j] === '>') {
        yield { kind: 'open', name: nameMatch[1]!, attributes, selfClosing: false };
        j += 1;
        break;
      }
      if (space === 0) throw new Unreadable('Attributes must be separated by spaces');
      const attribute = /^([^\s=/>"'<]+)\s*=\s*(?:"([^"<]*)"|'([^'<]*)')/.exec(source.slice(j, j + 2_000_000));
      if (!attribute || !NAME.test(attribute[1]!)) throw new Unreadable(`A malformed attribute in <${nameMatch[1]}> (values must be quoted)`);
      const name = attribute[1]!;
      if (seen.has(name)) throw new Unreadable(`The attribute ${name} appears twice`);
      seen.add(name);
      attributes.push([name, decodeEntities(attribute[2] ?? attribute[3] ?? '')]);
      j += attribute[0].length;
    }
    i = j;
  }
}

function escapeText(text: string): string {
  return text.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!);
}

function escapeAttribute(text: string): string {
  return text.replace(/[&<>"\t\n\r]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\t': '&#9;', '\n': '&#10;', '\r': '&#13;' })[c]!);
}

/** Keeps a `url(#id)` reference or a plain value; null (dangerous) for any other url() or scheme. */
function attributeProblem(element: string, name: string, value: string): string | null {
  if (name === 'href' || name === 'xlink:href') {
    if (FRAGMENT.test(value.trim())) return null;
    if (element === 'image' && INLINE_RASTER.test(value.trim())) return null;
    return `<${element}> links to "${value.slice(0, 60)}" (only #fragments${element === 'image' ? ' and inline PNG, JPEG, GIF or WebP images' : ''} are allowed)`;
  }
  if (name === 'style') {
    const problem = cssProblem(value);
    return problem ? `a style attribute with ${problem}` : null;
  }
  if (hasScheme(value)) return `the attribute ${name} holds a URL scheme`;
  if (/url\s*\(/i.test(value)) {
    const problem = cssProblem(value);
    return problem ? `the attribute ${name} with ${problem}` : null;
  }
  return null;
}

/**
 * Rebuilds an uploaded SVG from what the allow-lists keep.
 *
 * Returns `{ok: false, reason: 'unreadable'}` for anything that is not a well-formed SVG
 * of the accepted XML subset, and `{ok: false, reason: 'dangerous'}` with one line per
 * finding for scripts, handlers, external references and the like.
 */
export function sanitizeSvg(source: string): SvgSanitizeResult {
  if (source.includes('\u0000')) return { ok: false, reason: 'unreadable', problems: ['The file contains NUL characters'] };
  const out: string[] = [];
  const dropped = new Set<string>();
  const dangerous: string[] = [];
  // The open elements: their names, and whether each is kept (a dropped element drops its subtree).
  // A <style>'s CSS is judged whole when it closes: a comment or CDATA section splits it into
  // pieces that are harmless alone ("u", "rl(http://…)") and not together.
  const stack: Array<{ name: string; kept: boolean; css?: string }> = [];
  let rootSeen = false;
  let rootClosed = false;
  let elements = 0;
  try {
    for (const token of tokens(source)) {
      const keeping = stack.every((frame) => frame.kept);
      if (token.kind === 'text') {
        const text = token.text!;
        if (rootClosed || !rootSeen) {
          if (text.trim()) throw new Unreadable('Text outside the <svg> element');
          continue;
        }
        const parent = stack.at(-1)!;
        if (!keeping) continue;
        if (TEXT_ELEMENTS.has(parent.name)) {
          if (parent.name === 'style') parent.css = (parent.css ?? '') + text;
          out.push(escapeText(text));
        } else if (text && !text.trim() && out.at(-1) !== ' ') {
          // Space between elements is kept as one space, however many pieces it came in.
          out.push(' ');
        }
        continue;
      }
      if (token.kind === 'close') {
        const open = stack.pop();
        if (!open || open.name !== token.name) throw new Unreadable(`</${token.name}> does not close the open element`);
        const problem = open.css === undefined ? null : cssProblem(open.css);
        if (problem) dangerous.push(`<style> with ${problem}`);
        if (open.kept && stack.every((frame) => frame.kept)) out.push(`</${open.name}>`);
        if (stack.length === 0) rootClosed = true;
        continue;
      }
      const name = token.name!;
      elements += 1;
      if (elements > MAX_ELEMENTS) throw new Unreadable(`More than ${MAX_ELEMENTS} elements`);
      if (rootClosed) throw new Unreadable('More than one root element');
      if (stack.length >= MAX_DEPTH) throw new Unreadable(`Elements nested deeper than ${MAX_DEPTH}`);
      const local = name.includes(':') ? name.slice(name.indexOf(':') + 1) : name;
      if (!rootSeen) {
        if (name !== 'svg') throw new Unreadable('The root element is not <svg>');
        rootSeen = true;
      }
      // Dangerous wherever it sits, also inside a dropped subtree or under a namespace prefix.
      if (FORBIDDEN_ELEMENTS.has(local.toLowerCase())) dangerous.push(`a <${name}> element`);
      for (const [attribute, value] of token.attributes!) {
        const attrLocal = attribute.includes(':') ? attribute.slice(attribute.indexOf(':') + 1) : attribute;
        if (/^on/i.test(attrLocal)) dangerous.push(`the event handler ${attribute} on <${name}>`);
        else if (attribute.startsWith('xmlns')) {
          if (attribute === 'xmlns' && value !== SVG_NS) dangerous.push(`<${name}> in the namespace ${value.slice(0, 60)}`);
        } else if (/^(?:xlink:)?href$/.test(attribute) || (attrLocal === 'href' && attribute !== 'href')) {
          const problem = attributeProblem(local, 'href', value);
          if (problem) dangerous.push(problem);
        } else {
          const problem = attributeProblem(local, attribute, value);
          if (problem) dangerous.push(problem);
        }
      }
      const kept = keeping && name === local && ELEMENTS.has(name);
      if (keeping && !kept) dropped.add(`<${name}>`);
      if (kept) {
        const parts = [name];
        if (stack.length === 0) parts.push(`xmlns="${SVG_NS}"`, `xmlns:xlink="${XLINK_NS}"`);
        for (const [attribute, value] of token.attributes!) {
          if (attribute.startsWith('xmlns')) continue;
          if (attribute === 'type' && TYPE_ATTRIBUTE_ON.has(name)) {
            if (name === 'style' && !/^\s*text\/css\s*$/i.test(value)) dangerous.push(`<style type="${value.slice(0, 40)}">`);
            else parts.push(`type="${escapeAttribute(value)}"`);
            continue;
          }
          if (!ATTRIBUTES.has(attribute)) {
            dropped.add(`${attribute}=""`);
            continue;
          }
          const outName = attribute === 'href' ? 'xlink:href' : attribute;
          parts.push(`${outName}="${escapeAttribute(value)}"`);
        }
        out.push(`<${parts.join(' ')}${token.selfClosing ? '/>' : '>'}`);
      }
      if (!token.selfClosing) stack.push({ name, kept });
      else if (stack.length === 0) rootClosed = true;
    }
    if (!rootSeen) throw new Unreadable('No <svg> element');
    if (stack.length > 0) throw new Unreadable(`<${stack.at(-1)!.name}> is never closed`);
  } catch (error) {
    if (error instanceof Unreadable) return { ok: false, reason: 'unreadable', problems: [error.message] };
    throw error;
  }
  if (dangerous.length > 0) return { ok: false, reason: 'dangerous', problems: [...new Set(dangerous)] };
  return { ok: true, svg: out.join(''), dropped: [...dropped] };
}
