import { describe, expect, it } from 'vitest';
import {
  CriteriaError,
  activitiesOf,
  describeProgress,
  evaluate,
  leafProgress,
  renderNarrative,
  resolveActivityNames,
  validateCriteria,
  type Criteria,
  type LearnerOutcome,
} from '../../../src/criteria/index.ts';

const now = new Date('2026-06-15T12:00:00Z');
const at = new Date('2026-06-10T12:00:00Z');
const graded = (activity: string, score: number, max = 100): LearnerOutcome => ({ activity, score, max, completed: null, at });
const done = (activity: string): LearnerOutcome => ({ activity, score: null, max: null, completed: true, at });

const quizAndModule: Criteria = {
  kind: 'all',
  rules: [
    { kind: 'score', activity: 'quiz3', label: 'Quiz 3', minPercent: 80 },
    { kind: 'completed', activity: 'module1', label: 'Module 1' },
  ],
};

function problemsOf(criteria: unknown, knownActivities?: Set<string>) {
  try {
    validateCriteria({ criteria, knownActivities });
  } catch (error) {
    expect(error).toBeInstanceOf(CriteriaError);
    expect((error as CriteriaError).code).toBe('invalid_criteria');
    return (error as CriteriaError).details!.problems as Array<{ path: string; message: string }>;
  }
  throw new Error('expected the criteria to be rejected');
}

describe('validating criteria', () => {
  it('accepts nested groups and returns them in canonical form', () => {
    const criteria = validateCriteria({
      criteria: { all: [{ kind: 'any', rules: [{ kind: 'course_grade', minPercent: 70 }, { kind: 'completed', activity: 'final' }] }] },
    });
    expect(criteria).toEqual({
      kind: 'all',
      rules: [{ kind: 'any', rules: [{ kind: 'course_grade', minPercent: 70 }, { kind: 'completed', activity: 'final' }] }],
    });
  });

  it('rejects a percent outside 0..100 naming where it is', () => {
    expect(problemsOf({ kind: 'all', rules: [{ kind: 'score', activity: 'q', minPercent: 120 }] })).toEqual([
      { path: 'rules.0.minPercent', message: 'must be between 0 and 100' },
    ]);
  });

  it('rejects an empty group', () => {
    expect(problemsOf({ all: [] })[0]!.message).toBe('a group needs at least one rule');
  });

  it('rejects an activity the course does not have', () => {
    expect(problemsOf(quizAndModule, new Set(['quiz3']))).toEqual([{ path: 'rules.1.activity', message: 'unknown activity module1', unknownActivity: 'module1' }]);
  });

  it('turns an activity named as the LMS shows it into its key, and leaves a name two activities share', () => {
    const activities = [
      { activity: 'moodle:cm:302', name: 'Quiz 3' },
      { activity: 'moodle:cm:7', name: 'Lab' },
      { activity: 'moodle:cm:8', name: 'lab' },
    ];
    const typed = { kind: 'any', rules: [{ kind: 'score', activity: '  quiz   3 ', minPercent: 80 }, { kind: 'completed', activity: 'Lab' }, { kind: 'completed', activity: 'moodle:cm:7' }] };
    expect(resolveActivityNames(typed, activities)).toEqual({
      criteria: { kind: 'any', rules: [{ kind: 'score', activity: 'moodle:cm:302', minPercent: 80 }, { kind: 'completed', activity: 'Lab' }, { kind: 'completed', activity: 'moodle:cm:7' }] },
      ambiguous: ['Lab'],
    });
  });

  it('rejects an at_least count larger than its rules, unknown kinds and both thresholds at once', () => {
    expect(problemsOf({ kind: 'at_least', count: 3, rules: [{ kind: 'completed', activity: 'a' }] })[0]!.path).toBe('count');
    expect(problemsOf({ kind: 'magic' })[0]!.message).toBe('unknown rule kind');
    expect(problemsOf({ kind: 'score', activity: 'q', minPercent: 50, minPoints: 5 })[0]!.message).toBe(
      'give exactly one of minPercent or minPoints',
    );
    expect(problemsOf({ kind: 'between', from: '2026-02-01', until: '2026-01-01' })[0]!.path).toBe('until');
  });

  it('lists the activities criteria depend on', () => {
    expect(activitiesOf({ kind: 'any', rules: [quizAndModule, { kind: 'course_grade', minPercent: 60 }] }).sort()).toEqual(
      ['course', 'module1', 'quiz3'],
    );
  });
});

describe('evaluating criteria', () => {
  it('meets an all group only when every rule is met, showing what is still needed', () => {
    const short = evaluate({ criteria: quizAndModule, outcomes: [graded('quiz3', 72), done('module1')], now });
    expect(short.met).toBe(false);
    expect(leafProgress(short.progress).map((rule) => describeProgress(rule, 'en'))).toEqual([
      'Quiz 3: 72% of the 80% needed',
      'Module 1: completed',
    ]);
    expect(describeProgress(leafProgress(short.progress)[0]!, 'es')).toBe('Quiz 3: 72% de los 80% necesarios');
    expect(evaluate({ criteria: quizAndModule, outcomes: [graded('quiz3', 8, 10), done('module1')], now }).met).toBe(true);
  });

  it('meets an any group with one rule met', () => {
    const criteria: Criteria = { kind: 'any', rules: [{ kind: 'course_grade', minPercent: 90 }, { kind: 'completed', activity: 'capstone' }] };
    expect(evaluate({ criteria, outcomes: [graded('course', 85)], now }).met).toBe(false);
    expect(evaluate({ criteria, outcomes: [graded('course', 85), done('capstone')], now }).met).toBe(true);
  });

  it('meets at_least N when N rules are met and reports the count', () => {
    const criteria: Criteria = {
      kind: 'at_least',
      count: 2,
      rules: ['a', 'b', 'c'].map((activity) => ({ kind: 'score' as const, activity, minPoints: 5 })),
    };
    const one = evaluate({ criteria, outcomes: [graded('a', 5, 10), graded('b', 4, 10)], now });
    expect(one.met).toBe(false);
    expect(one.progress.has).toEqual({ count: 1 });
    expect(describeProgress(one.progress, 'en')).toBe('1 of the 2 needed');
    expect(evaluate({ criteria, outcomes: [graded('a', 5, 10), graded('c', 9, 10)], now }).met).toBe(true);
  });

  it('treats a missing grade as not met and says so', () => {
    const result = evaluate({ criteria: { kind: 'course_grade', minPercent: 60 }, outcomes: [], now });
    expect(result.met).toBe(false);
    expect(describeProgress(result.progress, 'es')).toBe('Calificación del curso: sin calificación aún (se necesita 60%)');
  });

  it('meets a between rule only inside its dates', () => {
    const criteria: Criteria = { kind: 'between', from: '2026-06-01T00:00:00Z', until: '2026-06-30T23:59:59Z' };
    expect(evaluate({ criteria, outcomes: [], now }).met).toBe(true);
    expect(evaluate({ criteria, outcomes: [], now: new Date('2026-07-01T00:00:00Z') }).met).toBe(false);
  });
});

describe('rendering the narrative', () => {
  const nested: Criteria = {
    kind: 'all',
    rules: [
      quizAndModule,
      { kind: 'at_least', count: 1, rules: [{ kind: 'course_grade', minPercent: 70 }, { kind: 'score', activity: 'lab', minPoints: 12.5 }] },
    ],
  };

  it('explains the criteria in English', () => {
    expect(renderNarrative({ criteria: nested, locale: 'en', activityNames: new Map([['lab', 'Lab report']]) })).toBe(
      [
        'All of the following:',
        '- All of the following:',
        '  - Score at least 80% in Quiz 3',
        '  - Complete Module 1',
        '- At least 1 of the following:',
        '  - Reach a course grade of at least 70%',
        '  - Score at least 12.5 points in Lab report',
      ].join('\n'),
    );
  });

  it('explains the criteria in Spanish', () => {
    expect(renderNarrative({ criteria: quizAndModule, locale: 'es' })).toBe(
      ['Todo lo siguiente:', '- Obtener al menos 80% en Quiz 3', '- Completar Module 1'].join('\n'),
    );
  });
});
