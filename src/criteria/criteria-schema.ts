/**
 * Sello's criteria as data: a tree of `all` / `any` / `at_least` groups over leaf rules.
 * Stored in `achievements.criteria` (jsonb) and validated here before every save.
 *
 * Leaf rules name an *activity key*: the opaque string an outcome source gives an
 * activity (`lineitem:<AGS line item URL>`, `moodle:cm:<course module id>`,
 * `canvas:assignment:<id>`, `canvas:module_item:<id>`, or a webhook's own name). The
 * course's overall grade is the reserved key `course`.
 *
 * The stored root may also use the short forms `{"all": [...]}` / `{"any": [...]}`
 * (the schema's column default is `{"all": []}`).
 */
import { z } from 'zod';

/** The reserved activity key of the course's overall grade. */
export const COURSE_ACTIVITY = 'course';

export type Rule =
  | { kind: 'all'; rules: Rule[] }
  | { kind: 'any'; rules: Rule[] }
  | { kind: 'at_least'; count: number; rules: Rule[] }
  | { kind: 'score'; activity: string; label?: string; minPercent?: number; minPoints?: number }
  | { kind: 'completed'; activity: string; label?: string }
  | { kind: 'course_grade'; minPercent: number }
  | { kind: 'between'; from?: string; until?: string };

export type Criteria = Rule;

const label = z.string().trim().min(1).max(200).optional();
const activity = z.string().trim().min(1, 'must name an activity').max(2000);
const percent = z.number({ invalid_type_error: 'must be a number' }).min(0, 'must be between 0 and 100').max(100, 'must be between 0 and 100');
const isoDate = z
  .string()
  .refine((value) => !Number.isNaN(Date.parse(value)), 'must be an ISO 8601 date');

// Short root forms are turned into the canonical `kind` form before validation.
function canonical(input: unknown): unknown {
  if (input && typeof input === 'object' && !Array.isArray(input) && !('kind' in input)) {
    const keys = Object.keys(input);
    if (keys.length === 1 && (keys[0] === 'all' || keys[0] === 'any')) {
      return { kind: keys[0], rules: (input as Record<string, unknown>)[keys[0]!] };
    }
  }
  return input;
}

const group = (kind: 'all' | 'any') =>
  z.object({ kind: z.literal(kind), rules: z.array(z.unknown()).min(1, 'a group needs at least one rule') }).strict();

/** One schema per rule kind; group members are checked recursively by `parseCriteria`. */
const kindSchemas: Record<Rule['kind'], z.ZodTypeAny> = {
  all: group('all'),
  any: group('any'),
  at_least: z
    .object({
      kind: z.literal('at_least'),
      count: z.number().int('must be a whole number').min(1, 'must be at least 1'),
      rules: z.array(z.unknown()).min(1, 'a group needs at least one rule'),
    })
    .strict()
    .refine((rule) => rule.count <= rule.rules.length, { message: 'count is larger than the number of rules', path: ['count'] }),
  score: z
    .object({
      kind: z.literal('score'),
      activity,
      label,
      minPercent: percent.optional(),
      minPoints: z.number().min(0, 'must not be negative').optional(),
    })
    .strict()
    .refine((rule) => (rule.minPercent === undefined) !== (rule.minPoints === undefined), {
      message: 'give exactly one of minPercent or minPoints',
      path: ['minPercent'],
    }),
  completed: z.object({ kind: z.literal('completed'), activity, label }).strict(),
  course_grade: z.object({ kind: z.literal('course_grade'), minPercent: percent }).strict(),
  between: z
    .object({ kind: z.literal('between'), from: isoDate.optional(), until: isoDate.optional() })
    .strict()
    .refine((rule) => rule.from !== undefined || rule.until !== undefined, { message: 'give from, until or both', path: ['from'] })
    .refine((rule) => !rule.from || !rule.until || Date.parse(rule.from) <= Date.parse(rule.until), {
      message: 'from must not be after until',
      path: ['until'],
    }),
};

export interface SchemaProblem {
  path: string;
  message: string;
}

/** Parses a rule tree, collecting every problem with its path instead of stopping at the first. */
export function parseCriteria(input: unknown, path: Array<string | number> = [], problems: SchemaProblem[] = []): { rule: Rule | null; problems: SchemaProblem[] } {
  const where = (extra: Array<string | number>) => [...path, ...extra].join('.') || '(root)';
  const value = canonical(input);
  const kind = value && typeof value === 'object' && !Array.isArray(value) ? (value as { kind?: unknown }).kind : undefined;
  if (typeof kind !== 'string' || !(kind in kindSchemas)) {
    problems.push({ path: where(['kind']), message: 'unknown rule kind' });
    return { rule: null, problems };
  }
  const parsed = kindSchemas[kind as Rule['kind']].safeParse(value);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push({ path: where(issue.path), message: issue.message });
    return { rule: null, problems };
  }
  const rule = parsed.data as Rule;
  if (rule.kind === 'all' || rule.kind === 'any' || rule.kind === 'at_least') {
    const children = (rule.rules as unknown[]).map((child, index) => parseCriteria(child, [...path, 'rules', index], problems).rule);
    if (children.some((child) => child === null)) return { rule: null, problems };
    return { rule: { ...rule, rules: children as Rule[] }, problems };
  }
  return { rule, problems };
}
