/**
 * Pure evaluation of criteria against what one learner has done in one course.
 * Returns whether the criteria are met and, for every rule, what was needed and what
 * the learner has, so pages can show progress ("Quiz 3: 72% of the 80% needed").
 */
import { COURSE_ACTIVITY, type Criteria, type Rule } from './criteria-schema.ts';

/** The latest known state of one activity for one learner (see outcomes' OutcomeEvent). */
export interface LearnerOutcome {
  activity: string;
  score: number | null;
  max: number | null;
  completed: boolean | null;
  at: Date;
}

export type Needed =
  | { percent: number }
  | { points: number }
  | { completed: true }
  | { count: number }
  | { from: string | null; until: string | null };

export type Has =
  | { percent: number | null; points: number | null; max: number | null }
  | { completed: boolean }
  | { count: number }
  | { at: string };

export interface RuleProgress {
  /** `(root)`, `rules.0`, `rules.0.rules.2` ... */
  path: string;
  kind: Rule['kind'];
  /** What the learner sees: the rule's label, else the activity's name, else its key. */
  label: string | null;
  met: boolean;
  needed: Needed;
  has: Has;
  children?: RuleProgress[];
}

export interface EvaluationResult {
  met: boolean;
  progress: RuleProgress;
}

export interface EvaluateParameters {
  criteria: Criteria;
  outcomes: Iterable<LearnerOutcome>;
  /** The moment of evaluation, for `between` rules. */
  now: Date;
  /** Display names of activity keys, when the caller knows them. */
  activityNames?: ReadonlyMap<string, string>;
}

/** Evaluates `criteria` for one learner. Pure: same inputs, same answer. */
export function evaluate({ criteria, outcomes, now, activityNames }: EvaluateParameters): EvaluationResult {
  const byActivity = new Map<string, LearnerOutcome>();
  for (const outcome of outcomes) byActivity.set(outcome.activity, outcome);
  const progress = evaluateRule(criteria, '(root)', { byActivity, now, activityNames: activityNames ?? new Map() });
  return { met: progress.met, progress };
}

interface Scope {
  byActivity: Map<string, LearnerOutcome>;
  now: Date;
  activityNames: ReadonlyMap<string, string>;
}

function percentOf(outcome: LearnerOutcome | undefined): number | null {
  if (!outcome || outcome.score === null || outcome.max === null || outcome.max <= 0) return null;
  return (outcome.score / outcome.max) * 100;
}

function evaluateRule(rule: Rule, path: string, scope: Scope): RuleProgress {
  const childPath = (index: number) => (path === '(root)' ? `rules.${index}` : `${path}.rules.${index}`);
  switch (rule.kind) {
    case 'all':
    case 'any':
    case 'at_least': {
      const children = rule.rules.map((child, index) => evaluateRule(child, childPath(index), scope));
      const count = children.filter((child) => child.met).length;
      const needed = rule.kind === 'all' ? rule.rules.length : rule.kind === 'any' ? 1 : rule.count;
      return { path, kind: rule.kind, label: null, met: count >= needed, needed: { count: needed }, has: { count }, children };
    }
    case 'score':
    case 'course_grade': {
      const activity = rule.kind === 'score' ? rule.activity : COURSE_ACTIVITY;
      const outcome = scope.byActivity.get(activity);
      const percent = percentOf(outcome);
      const has = { percent, points: outcome?.score ?? null, max: outcome?.max ?? null };
      const label = rule.kind === 'score' ? (rule.label ?? scope.activityNames.get(activity) ?? activity) : null;
      if (rule.kind === 'score' && rule.minPoints !== undefined) {
        const met = has.points !== null && has.points >= rule.minPoints;
        return { path, kind: rule.kind, label, met, needed: { points: rule.minPoints }, has };
      }
      const minPercent = rule.kind === 'score' ? rule.minPercent! : rule.minPercent;
      // A tiny tolerance so 8/10 meets 80% despite floating point.
      const met = percent !== null && percent + 1e-9 >= minPercent;
      return { path, kind: rule.kind, label, met, needed: { percent: minPercent }, has };
    }
    case 'completed': {
      const outcome = scope.byActivity.get(rule.activity);
      const completed = outcome?.completed === true;
      return {
        path,
        kind: 'completed',
        label: rule.label ?? scope.activityNames.get(rule.activity) ?? rule.activity,
        met: completed,
        needed: { completed: true },
        has: { completed },
      };
    }
    case 'between': {
      const time = scope.now.getTime();
      const met = (!rule.from || time >= Date.parse(rule.from)) && (!rule.until || time <= Date.parse(rule.until));
      return {
        path,
        kind: 'between',
        label: null,
        met,
        needed: { from: rule.from ?? null, until: rule.until ?? null },
        has: { at: scope.now.toISOString() },
      };
    }
  }
}
