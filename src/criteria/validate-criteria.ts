import { COURSE_ACTIVITY, parseCriteria, type Criteria, type Rule } from './criteria-schema.ts';
import { CriteriaError } from './criteria-error.ts';

export interface CriteriaProblem {
  /** Where in the tree, e.g. `rules.1.minPercent`. */
  path: string;
  message: string;
  /** Set for a rule naming an activity the course does not have. */
  unknownActivity?: string;
}

export interface ValidateCriteriaParameters {
  criteria: unknown;
  /**
   * Activity keys the course has (from its outcome sources). When given, a rule naming
   * any other activity is a problem; when omitted, activity names are not checked.
   */
  knownActivities?: ReadonlySet<string>;
}

/**
 * Checks criteria before they are saved and returns them in canonical form.
 *
 * @throws CriteriaError `invalid_criteria` with `details.problems` (`{path, message}`):
 *   unknown activity, percent outside 0..100, empty group, `at_least` count too large,
 *   dates that do not parse or are out of order.
 */
export function validateCriteria({ criteria, knownActivities }: ValidateCriteriaParameters): Criteria {
  const parsed = parseCriteria(criteria);
  if (!parsed.rule) {
    const problems: CriteriaProblem[] = parsed.problems;
    throw new CriteriaError('invalid_criteria', `The criteria are not valid: ${summarise(problems)}`, { problems });
  }
  if (knownActivities) {
    const problems: CriteriaProblem[] = [];
    walk(parsed.rule, (rule, path) => {
      if ((rule.kind === 'score' || rule.kind === 'completed') && rule.activity !== COURSE_ACTIVITY && !knownActivities.has(rule.activity)) {
        problems.push({ path: `${path}.activity`, message: `unknown activity ${rule.activity}`, unknownActivity: rule.activity });
      }
    });
    if (problems.length > 0) {
      throw new CriteriaError('invalid_criteria', `The criteria are not valid: ${summarise(problems)}`, { problems });
    }
  }
  return parsed.rule;
}

function summarise(problems: CriteriaProblem[]): string {
  return problems.map((problem) => `${problem.path}: ${problem.message}`).join('; ');
}

/** Visits every rule with its path (root is `''`). */
export function walk(rule: Rule, visit: (rule: Rule, path: string) => void, path = ''): void {
  visit(rule, path || '(root)');
  if (rule.kind === 'all' || rule.kind === 'any' || rule.kind === 'at_least') {
    rule.rules.forEach((child, index) => walk(child, visit, path ? `${path}.rules.${index}` : `rules.${index}`));
  }
}

/** Every activity key the criteria name (to know which achievements an outcome can affect). */
export function activitiesOf(criteria: Criteria): string[] {
  const found = new Set<string>();
  walk(criteria, (rule) => {
    if (rule.kind === 'score' || rule.kind === 'completed') found.add(rule.activity);
    if (rule.kind === 'course_grade') found.add(COURSE_ACTIVITY);
  });
  return [...found];
}
