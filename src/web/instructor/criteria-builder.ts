/**
 * The criteria builder's form ⇄ Sello's criteria (`src/criteria`): one combinator (all,
 * any, at least N) over rows of leaf rules (an activity's score in percent or points, an
 * activity completed, the course grade, a date window). Works as a plain form: every row
 * is a set of named fields (`rule-<i>-kind`, `rule-<i>-activity`, …), read here without
 * JavaScript; the page's script only adds rows and asks `/app/achievements/preview`.
 *
 * Problems are tied to the field that caused them (`field` is the input's id) and carry a
 * message key of `views/locales`, never a schema path such as `rules.0.activity`.
 */
import { COURSE_ACTIVITY, parseCriteria, validateCriteria, CriteriaError, type CriteriaProblem, type Rule } from '../../criteria/index.ts';

export type RowKind = '' | 'score' | 'completed' | 'course_grade' | 'dates';
export type Combine = 'all' | 'any' | 'at_least';

export interface BuilderRow {
  kind: RowKind;
  activity: string;
  threshold: string;
  unit: 'percent' | 'points';
  /** `YYYY-MM-DD` (a date input's value). */
  from: string;
  until: string;
}

export interface BuilderState {
  combine: Combine;
  count: string;
  rows: BuilderRow[];
}

export interface FieldProblem {
  /** The id of the input that caused it (`rule-0-threshold`, `combine-count`, `criteria`, …). */
  field: string;
  /** A key of `views/locales`. */
  key: string;
  params?: Record<string, string | number>;
}

/** Rows a form may send; more are ignored (a course's badge is not a 50-rule program). */
export const MAX_RULE_ROWS = 30;

export const emptyRow = (): BuilderRow => ({ kind: '', activity: '', threshold: '', unit: 'percent', from: '', until: '' });

const ROW_KINDS: readonly RowKind[] = ['score', 'completed', 'course_grade', 'dates'];
const DATE = /^\d{4}-\d{2}-\d{2}$/;

function text(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  return typeof value === 'string' ? value.trim() : '';
}

/** True when the request carries the builder's fields (a form of this page, not an API-style post of JSON only). */
export function hasBuilderFields(body: Record<string, unknown>): boolean {
  return typeof body.combine === 'string';
}

/** Reads the builder's fields of a submitted form. */
export function readBuilder(body: Record<string, unknown>): BuilderState {
  const combineValue = text(body, 'combine');
  const combine: Combine = combineValue === 'any' || combineValue === 'at_least' ? combineValue : 'all';
  const rows: BuilderRow[] = [];
  for (let i = 0; i < MAX_RULE_ROWS; i += 1) {
    if (!(`rule-${i}-kind` in body)) continue;
    const kindValue = text(body, `rule-${i}-kind`);
    rows.push({
      kind: (ROW_KINDS as readonly string[]).includes(kindValue) ? (kindValue as RowKind) : '',
      activity: text(body, `rule-${i}-activity`),
      threshold: text(body, `rule-${i}-threshold`).replace(',', '.'),
      unit: text(body, `rule-${i}-unit`) === 'points' ? 'points' : 'percent',
      from: text(body, `rule-${i}-from`),
      until: text(body, `rule-${i}-until`),
    });
  }
  return { combine, count: text(body, 'combine-count'), rows };
}

/**
 * The builder's view of stored criteria, or null when they do not fit it (nested groups):
 * those stay editable as JSON under "Advanced".
 */
export function builderFromCriteria(criteria: unknown): BuilderState | null {
  const root = (criteria && typeof criteria === 'object' ? criteria : {}) as Record<string, unknown>;
  const shortRules = Array.isArray(root.all) ? root.all : Array.isArray(root.any) ? root.any : null;
  if ((shortRules && shortRules.length === 0) || (Array.isArray(root.rules) && root.rules.length === 0)) {
    return { combine: Array.isArray(root.any) || root.kind === 'any' ? 'any' : 'all', count: '', rows: [] };
  }
  const parsed = parseCriteria(criteria).rule;
  if (!parsed) return null;
  const group: Rule = parsed.kind === 'all' || parsed.kind === 'any' || parsed.kind === 'at_least' ? parsed : { kind: 'all', rules: [parsed] };
  if (group.kind !== 'all' && group.kind !== 'any' && group.kind !== 'at_least') return null;
  const rows: BuilderRow[] = [];
  for (const rule of group.rules) {
    const row = emptyRow();
    switch (rule.kind) {
      case 'score':
        // A rule's own label would be lost by the form: keep such criteria in JSON.
        if (rule.label !== undefined) return null;
        Object.assign(row, {
          kind: 'score',
          activity: rule.activity,
          unit: rule.minPoints !== undefined ? 'points' : 'percent',
          threshold: String(rule.minPoints ?? rule.minPercent),
        });
        break;
      case 'completed':
        if (rule.label !== undefined) return null;
        Object.assign(row, { kind: 'completed', activity: rule.activity });
        break;
      case 'course_grade':
        Object.assign(row, { kind: 'course_grade', threshold: String(rule.minPercent) });
        break;
      case 'between': {
        const from = rule.from ? dayOf(rule.from, 'from') : '';
        const until = rule.until ? dayOf(rule.until, 'until') : '';
        if (from === null || until === null) return null;
        Object.assign(row, { kind: 'dates', from, until });
        break;
      }
      default:
        return null;
    }
    rows.push(row);
  }
  return { combine: group.kind, count: group.kind === 'at_least' ? String(group.count) : '', rows };
}

/**
 * The day a stored date stands for, or null when it is not one the builder writes (a
 * start at 00:00:00Z, an end at 23:59:59Z): other times stay exact in the JSON.
 */
function dayOf(iso: string, end: 'from' | 'until'): string | null {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.\d+)?Z$/.exec(iso);
  if (!match) return null;
  return match[2] === (end === 'from' ? '00:00:00' : '23:59:59') ? match[1]! : null;
}

function validDay(value: string): boolean {
  if (!DATE.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value);
}

export interface BuildCriteriaParameters {
  state: BuilderState;
  /** The course's activity keys; a row naming another is a problem. */
  knownActivities: ReadonlySet<string>;
}

/** The criteria the builder's rows describe, or the problems of each field. */
export function criteriaFromBuilder({ state, knownActivities }: BuildCriteriaParameters): { criteria: Rule | null; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const rules: Rule[] = [];
  state.rows.forEach((row, i) => {
    const id = (name: string) => `rule-${i}-${name}`;
    const number = (): number | null => {
      if (row.threshold === '') {
        problems.push({ field: id('threshold'), key: 'iss.builder.error.thresholdMissing' });
        return null;
      }
      const value = Number(row.threshold);
      if (!Number.isFinite(value)) {
        problems.push({ field: id('threshold'), key: 'iss.builder.error.thresholdNumber' });
        return null;
      }
      return value;
    };
    const activity = (): string | null => {
      if (!row.activity) {
        problems.push({ field: id('activity'), key: 'iss.builder.error.activityMissing' });
        return null;
      }
      if (row.activity !== COURSE_ACTIVITY && !knownActivities.has(row.activity)) {
        problems.push({ field: id('activity'), key: 'iss.builder.error.activityUnknown', params: { activity: row.activity } });
        return null;
      }
      return row.activity;
    };
    const percent = (value: number | null) => {
      if (value !== null && (value < 0 || value > 100)) {
        problems.push({ field: id('threshold'), key: 'iss.builder.error.percentRange' });
        return null;
      }
      return value;
    };
    switch (row.kind) {
      case '':
        return;
      case 'score': {
        const key = activity();
        const value = row.unit === 'points' ? number() : percent(number());
        if (row.unit === 'points' && value !== null && value < 0) {
          problems.push({ field: id('threshold'), key: 'iss.builder.error.pointsRange' });
          return;
        }
        if (key !== null && value !== null) {
          rules.push(row.unit === 'points' ? { kind: 'score', activity: key, minPoints: value } : { kind: 'score', activity: key, minPercent: value });
        }
        return;
      }
      case 'completed': {
        const key = activity();
        if (key !== null) rules.push({ kind: 'completed', activity: key });
        return;
      }
      case 'course_grade': {
        const value = percent(number());
        if (value !== null) rules.push({ kind: 'course_grade', minPercent: value });
        return;
      }
      case 'dates': {
        if (!row.from && !row.until) {
          problems.push({ field: id('from'), key: 'iss.builder.error.datesMissing' });
          return;
        }
        const fromOk = !row.from || validDay(row.from);
        const untilOk = !row.until || validDay(row.until);
        if (!fromOk) problems.push({ field: id('from'), key: 'iss.builder.error.dateInvalid' });
        if (!untilOk) problems.push({ field: id('until'), key: 'iss.builder.error.dateInvalid' });
        if (!fromOk || !untilOk) return;
        if (row.from && row.until && row.from > row.until) {
          problems.push({ field: id('until'), key: 'iss.builder.error.dateOrder' });
          return;
        }
        rules.push({
          kind: 'between',
          ...(row.from ? { from: `${row.from}T00:00:00Z` } : {}),
          // The whole last day counts.
          ...(row.until ? { until: `${row.until}T23:59:59Z` } : {}),
        });
        return;
      }
    }
  });
  const used = state.rows.filter((row) => row.kind !== '').length;
  if (used === 0) problems.push({ field: 'rule-0-kind', key: 'iss.builder.error.noRules' });
  let count = 0;
  if (state.combine === 'at_least') {
    count = Number(state.count);
    if (!Number.isInteger(count) || count < 1 || (used > 0 && count > used)) {
      problems.push({ field: 'combine-count', key: 'iss.builder.error.count', params: { max: Math.max(used, 1) } });
    }
  }
  if (problems.length > 0) return { criteria: null, problems };
  const root: Rule = state.combine === 'at_least' ? { kind: 'at_least', count, rules } : { kind: state.combine, rules };
  // The builder only writes what the model accepts; this is the model's own word on it.
  return { criteria: validateCriteria({ criteria: root }), problems };
}

const FIELD_WORDS: Record<string, string> = {
  kind: 'kind',
  activity: 'activity',
  minPercent: 'percent',
  minPoints: 'points',
  count: 'count',
  rules: 'rules',
  from: 'dates',
  until: 'dates',
};

/**
 * A problem of criteria typed as JSON, in words: "Rule 2: choose an activity" rather than
 * `rules.1.activity: Required`. `where` is the rule's position (`2`, `1 › 3`), `what` a
 * key of `views/locales`.
 */
export function describeJsonProblem(problem: CriteriaProblem, ambiguous: readonly string[]): FieldProblem {
  const segments = problem.path === '(root)' ? [] : problem.path.split('.');
  const positions: number[] = [];
  for (let i = 0; i + 1 < segments.length; i += 1) if (segments[i] === 'rules' && /^\d+$/.test(segments[i + 1]!)) positions.push(Number(segments[i + 1]) + 1);
  const last = segments.at(-1) ?? '';
  const where = positions.join(' › ');
  if (problem.unknownActivity !== undefined) {
    const key = ambiguous.includes(problem.unknownActivity) ? 'iss.json.ambiguousActivity' : 'iss.json.unknownActivity';
    return { field: 'criteria', key, params: { where, activity: problem.unknownActivity } };
  }
  const topic = FIELD_WORDS[last] ?? 'other';
  return { field: 'criteria', key: where ? `iss.json.problem.${topic}` : `iss.json.root.${topic}`, params: { where } };
}

/** Turns the model's problems for criteria typed as JSON into field problems. */
export function jsonProblems(error: unknown, ambiguous: readonly string[]): FieldProblem[] {
  if (!(error instanceof CriteriaError)) throw error;
  return ((error.details?.problems ?? []) as CriteriaProblem[]).map((problem) => describeJsonProblem(problem, ambiguous));
}
