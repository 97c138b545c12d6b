/**
 * Badges designed in the instructor's page: a shape, three colours, an icon from a small
 * built-in set and up to three lines of text become an SVG that Sello writes itself (so
 * it needs no sanitizing), 400×400 like `generateBadgeSvg`. It goes into credentials as a
 * data: URI and is baked as it is into `/credentials/:id/badge.svg`.
 */

export const BADGE_SHAPES = ['circle', 'shield', 'hexagon', 'square'] as const;
export const BADGE_ICONS = ['none', 'star', 'check', 'book', 'trophy', 'flask', 'code', 'leaf', 'heart'] as const;
export const BADGE_TEXT_MAX = 60;

export type BadgeShape = (typeof BADGE_SHAPES)[number];
export type BadgeIcon = (typeof BADGE_ICONS)[number];

export interface BadgeDesign {
  shape: BadgeShape;
  /** `#rrggbb` */
  background: string;
  /** The inner ring. */
  accent: string;
  /** Text and icon. */
  foreground: string;
  icon: BadgeIcon;
  /** Empty: the achievement's name. */
  text: string;
}

export const DEFAULT_BADGE_DESIGN: BadgeDesign = { shape: 'circle', background: '#1f4e8c', accent: '#f2c14e', foreground: '#ffffff', icon: 'star', text: '' };

/** Field names of a design, for problems tied to the form's fields. */
export type BadgeDesignField = keyof BadgeDesign;

const COLOUR = /^#[0-9a-fA-F]{6}$/;

/**
 * Reads a design from form fields; returns the fields that are not valid (each one named,
 * so the page can put its message next to it).
 */
export function parseBadgeDesign(input: Record<string, unknown>): { design: BadgeDesign; problems: BadgeDesignField[] } {
  const problems: BadgeDesignField[] = [];
  const text = (key: string) => (typeof input[key] === 'string' ? (input[key] as string) : '');
  const shape = text('shape') as BadgeShape;
  const icon = text('icon') as BadgeIcon;
  if (!BADGE_SHAPES.includes(shape)) problems.push('shape');
  if (!BADGE_ICONS.includes(icon)) problems.push('icon');
  const colours = { background: text('background').trim(), accent: text('accent').trim(), foreground: text('foreground').trim() };
  for (const [key, value] of Object.entries(colours)) if (!COLOUR.test(value)) problems.push(key as BadgeDesignField);
  const label = text('text').replace(/\s+/g, ' ').trim();
  // eslint-disable-next-line no-control-regex
  if ([...label].length > BADGE_TEXT_MAX || /[\u0000-\u001f\u007f]/.test(label)) problems.push('text');
  return {
    design: {
      shape: BADGE_SHAPES.includes(shape) ? shape : DEFAULT_BADGE_DESIGN.shape,
      icon: BADGE_ICONS.includes(icon) ? icon : DEFAULT_BADGE_DESIGN.icon,
      background: COLOUR.test(colours.background) ? colours.background.toLowerCase() : DEFAULT_BADGE_DESIGN.background,
      accent: COLOUR.test(colours.accent) ? colours.accent.toLowerCase() : DEFAULT_BADGE_DESIGN.accent,
      foreground: COLOUR.test(colours.foreground) ? colours.foreground.toLowerCase() : DEFAULT_BADGE_DESIGN.foreground,
      text: [...label].slice(0, BADGE_TEXT_MAX).join(''),
    },
    problems,
  };
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

function wrapText(text: string, width: number, lines: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const candidate = line ? `${line} ${word}` : word;
    if ([...candidate].length > width && line) {
      out.push(line);
      line = word;
    } else line = candidate;
  }
  if (line) out.push(line);
  if (out.length > lines) {
    out.length = lines;
    out[lines - 1] = [...out[lines - 1]!].slice(0, width - 1).join('') + '…';
  }
  return out.map((l) => ([...l].length > width + 4 ? [...l].slice(0, width + 3).join('') + '…' : l));
}

function polygon(sides: number, radius: number, rotation: number): string {
  return Array.from({ length: sides }, (_, i) => {
    const angle = rotation + (i * 2 * Math.PI) / sides;
    return `${(200 + radius * Math.cos(angle)).toFixed(1)},${(200 + radius * Math.sin(angle)).toFixed(1)}`;
  }).join(' ');
}

/** The outline of each shape in a 400×400 box, as an element missing only its paint. */
const SHAPES: Record<BadgeShape, string> = {
  circle: '<circle cx="200" cy="200" r="190"',
  shield: '<path d="M200 10 L370 62 V190 C370 300 292 362 200 392 C108 362 30 300 30 190 V62 Z"',
  hexagon: `<polygon points="${polygon(6, 192, -Math.PI / 2)}"`,
  square: '<rect x="14" y="14" width="372" height="372" rx="56"',
};

/** Icons drawn on a 24×24 grid with round strokes (Sello's own, kept deliberately plain). */
const ICONS: Record<Exclude<BadgeIcon, 'none'>, string> = {
  star: `<polygon points="${Array.from({ length: 10 }, (_, i) => {
    const r = i % 2 === 0 ? 10 : 4.2;
    const a = -Math.PI / 2 + (i * Math.PI) / 5;
    return `${(12 + r * Math.cos(a)).toFixed(2)},${(12.6 + r * Math.sin(a)).toFixed(2)}`;
  }).join(' ')}"/>`,
  check: '<path d="M4 12.5 9.5 18 20 6"/>',
  book: '<path d="M3 5h6a3 3 0 0 1 3 3v12a2.5 2.5 0 0 0-2.5-2.5H3z"/><path d="M21 5h-6a3 3 0 0 0-3 3v12a2.5 2.5 0 0 1 2.5-2.5H21z"/>',
  trophy: '<path d="M7 4h10v5a5 5 0 0 1-10 0z"/><path d="M7 6H4v1a3 3 0 0 0 3 3M17 6h3v1a3 3 0 0 1-3 3M12 14v4M8 20h8"/>',
  flask: '<path d="M9 3h6M10 3v6l-5 9a2 2 0 0 0 1.8 3h10.4a2 2 0 0 0 1.8-3l-5-9V3M7.5 14h9"/>',
  code: '<path d="M8 7l-5 5 5 5M16 7l5 5-5 5M14 4l-4 16"/>',
  leaf: '<path d="M5 19C5 10 11 5 20 4c0 9-5 15-15 15zM5 19l8-8"/>',
  heart: '<path d="M12 20s-7.5-4.6-7.5-10.2A4.3 4.3 0 0 1 12 7.4a4.3 4.3 0 0 1 7.5 2.4C19.5 15.4 12 20 12 20z"/>',
};

/**
 * The designed badge as an SVG document (400×400), its `<title>` the achievement's name.
 * Every value written into it is either from a closed list, a checked `#rrggbb` colour,
 * or escaped text.
 */
export function designBadgeSvg(params: { design: BadgeDesign; achievementName: string }): string {
  const { design } = params;
  const label = design.text || params.achievementName;
  const hasIcon = design.icon !== 'none';
  const lines = wrapText(label, hasIcon ? 16 : 14, hasIcon ? 3 : 4);
  const size = hasIcon ? (lines.length > 2 ? 26 : 30) : lines.length > 2 ? 32 : 38;
  const step = size + 6;
  const centre = hasIcon ? 262 : 200;
  const top = centre - ((lines.length - 1) * step) / 2 + size / 3;
  const text = lines.map((line, i) => `<text x="200" y="${(top + i * step).toFixed(1)}" font-size="${size}" font-weight="700">${escapeXml(line)}</text>`).join('');
  const icon = hasIcon
    ? `<g transform="translate(152 ${lines.length > 2 ? 66 : 78}) scale(4)" fill="none" stroke="${design.foreground}" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round">${ICONS[design.icon as Exclude<BadgeIcon, 'none'>]}</g>`
    : '';
  return [
    '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="400" viewBox="0 0 400 400" role="img">',
    `<title>${escapeXml(params.achievementName)}</title>`,
    `${SHAPES[design.shape]} fill="${design.background}"/>`,
    `<g transform="translate(200 200) scale(0.9) translate(-200 -200)">${SHAPES[design.shape]} fill="none" stroke="${design.accent}" stroke-width="7"/></g>`,
    icon,
    `<g fill="${design.foreground}" text-anchor="middle" font-family="DejaVu Sans,Liberation Sans,Helvetica,Arial,sans-serif">${text}</g>`,
    '</svg>',
  ].join('');
}

/** The designed SVG as the data: URI an achievement's `image` holds. */
export function designBadgeDataUri(params: { design: BadgeDesign; achievementName: string }): string {
  return `data:image/svg+xml;base64,${Buffer.from(designBadgeSvg(params), 'utf8').toString('base64')}`;
}
