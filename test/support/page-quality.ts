/**
 * What every page of Sello must pass in a real browser (issue 13, "Quality bar"): no
 * serious or critical axe-core violation, no sideways scrolling, and, in Spanish, no
 * catalog key or English UI word left in the page.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import type { Frame, Page } from 'playwright-core';
import { catalogKeys } from '../../src/web/i18n.ts';

const require = createRequire(import.meta.url);
const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

// The page's own globals, as the callbacks below see them in the browser.
declare const document: { scrollingElement: { scrollWidth: number } | null; documentElement: { scrollWidth: number }; title: string; body: { innerText: string } };
declare const innerWidth: number;
declare const axe: {
  run(context: unknown, options: unknown): Promise<{ violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: unknown[] }> }> }>;
};

/**
 * axe-core's serious and critical violations of the page (WCAG 2.1 A and AA rules and
 * best practices), as `rule: help (first targets)` lines; empty when there are none.
 * axe runs inside the page, so it sees what the browser shows. It is evaluated through the
 * DevTools protocol rather than `addScriptTag`: Sello's Content-Security-Policy rightly
 * refuses an inline script tag, and the scan must not weaken the policy it runs under.
 */
export async function seriousAccessibilityViolations(page: Page | Frame): Promise<string[]> {
  await page.evaluate(`${axeSource}\n;undefined`);
  const violations = await page.evaluate(async () => {
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 3).map((n) => JSON.stringify(n.target)) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.help} ${v.targets.join(' ')}`);
}

/** How many pixels the page scrolls sideways (0 when it does not). */
export async function sidewaysScroll(page: Page | Frame): Promise<number> {
  return page.evaluate(() => Math.max(0, (document.scrollingElement ?? document.documentElement).scrollWidth - innerWidth));
}

const keys = new Set(catalogKeys('en'));
/**
 * Words of Sello's English interface that a Spanish page must not show. Data (a course
 * or badge name typed in English) may still appear; these are the words of buttons,
 * states, headings and messages.
 */
const ENGLISH_UI_WORDS = [
  'Verified', 'Verify', 'Download', 'Share', 'Issued', 'Issuer', 'Revoked', 'Suspended', 'Expired', 'Pending', 'Earned', 'Save', 'Cancel',
  'Submit', 'Learner', 'Instructor', 'Gradebook', 'Settings', 'Back', 'Details', 'Copy link', 'Add to', 'Launch', 'Criteria', 'Description',
  'Name', 'Technical details', 'Valid from', 'Valid until', 'Recipient', 'Something went wrong', 'Error code', 'My badges', 'Progress',
  'Choose', 'Attach', 'Create', 'Edit', 'Sign in', 'Admin', 'Language', 'This is a demo', 'Try it', 'Privacy',
];

/** Names of products and protocols a Spanish page names as they are. */
const PRODUCT_NAMES = ['Learner Credential Wallet', 'LearnCard', 'LinkedIn', 'OpenID4VCI', 'VC-API', 'Open Badges'];

/** Catalog keys and English UI words in a Spanish page's visible text and title. */
export async function untranslatedInSpanish(page: Page | Frame, allowed: string[] = []): Promise<string[]> {
  const { text, title } = await page.evaluate(() => ({ text: document.body.innerText, title: document.title }));
  let visible = `${title}\n${text}`;
  // Product names are names in every language.
  for (const data of [...PRODUCT_NAMES, ...allowed]) visible = visible.split(data).join(' ');
  const found = new Set<string>();
  for (const match of visible.matchAll(/\b[a-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)+\b/g)) if (keys.has(match[0])) found.add(`key ${match[0]}`);
  for (const word of ENGLISH_UI_WORDS) if (new RegExp(`(^|[^\\p{L}])${word}([^\\p{L}]|$)`, 'u').test(visible)) found.add(`"${word}"`);
  return [...found];
}
