/**
 * What every request must satisfy before any route sees it, whichever route it is:
 *
 * - its URL decodes (a stray `%` is the client's mistake, not a `URIError` in a route),
 *   and neither the decoded path nor the query holds a NUL;
 * - every text of its body (JSON or form) is well-formed Unicode without NUL, and a JSON
 *   body nests at most {@link MAX_JSON_DEPTH} levels.
 *
 * Why here and not per route: PostgreSQL refuses NUL in `text` and `jsonb`
 * (https://www.postgresql.org/docs/current/datatype-character.html: "the character with
 * code zero cannot be stored"), a lone UTF-16 surrogate cannot be encoded as UTF-8
 * (https://www.rfc-editor.org/rfc/rfc8259#section-8.2 leaves such strings' behaviour
 * unpredictable) and is silently changed on the way to the database, and deep nesting
 * overflows the stack of every recursive walker downstream (JCS canonicalisation, JSON-LD
 * expansion, schema validation). No legitimate Sello input needs any of them, so each
 * is refused once, at the door, with a 400 and a code.
 */
import type { RequestHandler } from 'express';
import { HttpError } from './errors.ts';
import { jsonPathOf, type JsonPathStep } from './json-path.ts';

/**
 * The deepest JSON nesting accepted. A signed Open Badges 3.0 credential nests about 7
 * levels and a presentation of them about 9; 64 leaves room for any honest extension
 * while keeping every recursive walker far from the stack limit.
 */
export const MAX_JSON_DEPTH = 64;

export type UnsafeTextProblem = 'nul_character' | 'lone_surrogate' | 'too_deep';

/** A lone UTF-16 surrogate: a high one not followed by a low one, or a low one without a high one. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why `text` cannot be stored or processed as given, or null when it can. */
export function textProblem(text: string): Exclude<UnsafeTextProblem, 'too_deep'> | null {
  if (text.includes('\u0000')) return 'nul_character';
  if (LONE_SURROGATE.test(text)) return 'lone_surrogate';
  return null;
}

/**
 * Walks a parsed JSON value (or a form body) without recursion, so the walk itself
 * cannot overflow, and reports the first key or string that is unsafe, or a nesting
 * deeper than `maxDepth`.
 *
 * @returns null when the value is safe, else the problem and the path where it was found.
 */
export function findUnsafeInput(value: unknown, maxDepth: number = MAX_JSON_DEPTH): { problem: UnsafeTextProblem; path: string } | null {
  // Every value of every request body passes here: the path is kept as a link to the
  // parent and spelt out only for the value that fails, not built for each value.
  const pending: WalkStep[] = [{ value, depth: 0, parent: null, key: '' }];
  while (pending.length > 0) {
    const step = pending.pop()!;
    const current = step.value;
    if (typeof current === 'string') {
      const problem = textProblem(current);
      if (problem) return { problem, path: pathOf(step) };
      continue;
    }
    if (!current || typeof current !== 'object') continue;
    if (step.depth >= maxDepth) return { problem: 'too_deep', path: pathOf(step) };
    const depth = step.depth + 1;
    if (Array.isArray(current)) {
      for (let index = 0; index < current.length; index++) pending.push({ value: current[index], depth, parent: step, key: index });
      continue;
    }
    for (const key in current) {
      if (!Object.hasOwn(current, key)) continue;
      const problem = textProblem(key);
      if (problem) return { problem, path: pathOf({ value: undefined, depth, parent: step, key }) };
      pending.push({ value: (current as Record<string, unknown>)[key], depth, parent: step, key });
    }
  }
  return null;
}

/** One value met by a walk, and how deep it sits. */
interface WalkStep extends JsonPathStep {
  value: unknown;
  depth: number;
  parent: WalkStep | null;
}

/** `a.b[2].c` (no leading dot; the root is the empty path). */
function pathOf(step: WalkStep): string {
  const path = jsonPathOf(step);
  return path.startsWith('.') ? path.slice(1) : path;
}

const problemMessages: Record<UnsafeTextProblem, string> = {
  nul_character: 'contains a NUL character',
  lone_surrogate: 'contains a lone UTF-16 surrogate (not valid Unicode)',
  too_deep: `nests deeper than ${MAX_JSON_DEPTH} levels`,
};

/**
 * Throws unless `value` passes {@link findUnsafeInput}. `what` names the input in the
 * message ("The request body", "The credential file").
 *
 * @throws HttpError `invalid_text` (NUL or lone surrogate) or `invalid_json_depth` (400).
 */
export function assertSafeInput(value: unknown, what: string, maxDepth: number = MAX_JSON_DEPTH): void {
  const found = findUnsafeInput(value, maxDepth);
  if (!found) return;
  const where = found.path ? ` at ${found.path.slice(0, 200)}` : '';
  throw new HttpError(found.problem === 'too_deep' ? 'invalid_json_depth' : 'invalid_text', `${what} ${problemMessages[found.problem]}${where}`, {
    problem: found.problem,
    ...(found.path ? { path: found.path.slice(0, 200) } : {}),
  });
}

/**
 * `JSON.parse` for text from outside (request bodies parsed by hand, files given to the
 * CLI), with the same refusals as every JSON body.
 *
 * @throws HttpError `invalid_json`, `invalid_text`, `invalid_json_depth` (400).
 */
export function parseUntrustedJson(text: string, what = 'The JSON document'): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new HttpError('invalid_json', `${what} is not valid JSON`, undefined, { cause });
  }
  assertSafeInput(value, what);
  return value;
}

/**
 * First middleware of the app (before ltijs too): refuses a URL whose path does not
 * percent-decode or holds a NUL once decoded, and a query holding a NUL. Express decodes
 * route parameters itself; without this a `%00` reaches the database and a `%25…`
 * segment decoded twice throws `URIError` in a route.
 *
 * @throws HttpError `invalid_url` (400).
 */
export function refuseMalformedUrl(): RequestHandler {
  return (req, _res, next) => {
    const url = req.url ?? '/';
    const queryAt = url.indexOf('?');
    const rawPath = queryAt === -1 ? url : url.slice(0, queryAt);
    const rawQuery = queryAt === -1 ? '' : url.slice(queryAt + 1);
    let path: string;
    try {
      path = decodeURIComponent(rawPath);
    } catch (cause) {
      next(new HttpError('invalid_url', 'The URL path is not valid percent-encoded UTF-8', undefined, { cause }));
      return;
    }
    if (path.includes('\u0000') || /%00/i.test(rawQuery) || rawQuery.includes('\u0000')) {
      next(new HttpError('invalid_url', 'The URL contains a NUL character'));
      return;
    }
    next();
  };
}

/**
 * After the body parsers: refuses a body (JSON or form) with a NUL, a lone surrogate or
 * nesting deeper than {@link MAX_JSON_DEPTH}.
 *
 * @throws HttpError `invalid_text`, `invalid_json_depth` (400).
 */
export function refuseUnsafeBody(): RequestHandler {
  return (req, _res, next) => {
    try {
      if (req.body !== undefined && req.body !== null && !Buffer.isBuffer(req.body)) assertSafeInput(req.body, 'The request body');
      next();
    } catch (error) {
      next(error);
    }
  };
}
