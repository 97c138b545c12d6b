import { describe, expect, it } from 'vitest';
import { builderFromCriteria, criteriaFromBuilder, describeJsonProblem, readBuilder, type BuilderState } from '../../../src/web/instructor/criteria-builder.ts';
import { checkFields, newFields, readFields } from '../../../src/web/instructor/achievement-fields.ts';
import { addMonths } from '../../../src/issuance/issue-credential.ts';
import { renderNarrative, validateCriteria } from '../../../src/criteria/index.ts';

const known = new Set(['quiz1', 'quiz2', 'essay']);
const build = (state: BuilderState) => criteriaFromBuilder({ state, knownActivities: known });
const row = (fields: Partial<BuilderState['rows'][number]>) => ({ kind: '' as const, activity: '', threshold: '', unit: 'percent' as const, from: '', until: '', ...fields });

describe('criteria builder', () => {
  it('reads the rows of a plain form, skipping the unused ones', () => {
    const state = readBuilder({
      combine: 'at_least',
      'combine-count': '2',
      'rule-0-kind': 'score',
      'rule-0-activity': 'quiz1',
      'rule-0-threshold': '72,5',
      'rule-0-unit': 'percent',
      'rule-1-kind': '',
      'rule-2-kind': 'completed',
      'rule-2-activity': 'essay',
      'rule-3-kind': 'dates',
      'rule-3-from': '2026-01-01',
      'rule-3-until': '2026-06-30',
    });
    expect(build(state)).toEqual({
      problems: [],
      criteria: {
        kind: 'at_least',
        count: 2,
        rules: [
          { kind: 'score', activity: 'quiz1', minPercent: 72.5 },
          { kind: 'completed', activity: 'essay' },
          { kind: 'between', from: '2026-01-01T00:00:00Z', until: '2026-06-30T23:59:59Z' },
        ],
      },
    });
  });

  it('builds points, the course grade and "any" groups the model validates', () => {
    const { criteria } = build({
      combine: 'any',
      count: '',
      rows: [row({ kind: 'score', activity: 'quiz2', threshold: '15', unit: 'points' }), row({ kind: 'course_grade', threshold: '70' })],
    });
    expect(criteria).toEqual({ kind: 'any', rules: [{ kind: 'score', activity: 'quiz2', minPoints: 15 }, { kind: 'course_grade', minPercent: 70 }] });
    expect(validateCriteria({ criteria, knownActivities: known })).toEqual(criteria);
    expect(renderNarrative({ criteria: criteria!, locale: 'es', activityNames: new Map([['quiz2', 'Quiz 2']]) })).toBe(
      'Cualquiera de lo siguiente:\n- Obtener al menos 15 puntos en Quiz 2\n- Alcanzar una calificación del curso de al menos 70%',
    );
  });

  it('ties every problem to the field that caused it', () => {
    const { criteria, problems } = build({
      combine: 'at_least',
      count: '5',
      rows: [
        row({ kind: 'score', activity: '', threshold: '120' }),
        row({ kind: 'score', activity: 'gone', threshold: 'abc' }),
        row({ kind: 'score', activity: 'quiz1', threshold: '-1', unit: 'points' }),
        row({ kind: 'dates' }),
        row({ kind: 'dates', from: '2026-02-30', until: '' }),
        row({ kind: 'dates', from: '2026-05-01', until: '2026-04-01' }),
        row({ kind: 'course_grade', threshold: '' }),
      ],
    });
    expect(criteria).toBeNull();
    expect(problems).toEqual([
      { field: 'rule-0-activity', key: 'iss.builder.error.activityMissing' },
      { field: 'rule-0-threshold', key: 'iss.builder.error.percentRange' },
      { field: 'rule-1-activity', key: 'iss.builder.error.activityUnknown', params: { activity: 'gone' } },
      { field: 'rule-1-threshold', key: 'iss.builder.error.thresholdNumber' },
      { field: 'rule-2-threshold', key: 'iss.builder.error.pointsRange' },
      { field: 'rule-3-from', key: 'iss.builder.error.datesMissing' },
      { field: 'rule-4-from', key: 'iss.builder.error.dateInvalid' },
      { field: 'rule-5-until', key: 'iss.builder.error.dateOrder' },
      { field: 'rule-6-threshold', key: 'iss.builder.error.thresholdMissing' },
    ]);
  });

  it('asks for a rule when every row is unused, and for a count that fits "at least"', () => {
    expect(build({ combine: 'all', count: '', rows: [row({})] }).problems).toEqual([{ field: 'rule-0-kind', key: 'iss.builder.error.noRules' }]);
    expect(build({ combine: 'at_least', count: '3', rows: [row({ kind: 'completed', activity: 'essay' }), row({ kind: 'course_grade', threshold: '50' })] }).problems).toEqual([
      { field: 'combine-count', key: 'iss.builder.error.count', params: { max: 2 } },
    ]);
  });

  it('shows stored criteria as rows and gives them back unchanged', () => {
    const stored = {
      kind: 'at_least',
      count: 1,
      rules: [
        { kind: 'score', activity: 'quiz1', minPercent: 80 },
        { kind: 'score', activity: 'quiz2', minPoints: 12.5 },
        { kind: 'completed', activity: 'essay' },
        { kind: 'course_grade', minPercent: 60 },
        { kind: 'between', until: '2026-12-31T23:59:59Z' },
      ],
    };
    const state = builderFromCriteria(stored)!;
    expect(state.combine).toBe('at_least');
    expect(state.rows.map((r) => r.kind)).toEqual(['score', 'score', 'completed', 'course_grade', 'dates']);
    expect(build(state).criteria).toEqual(stored);
    // The short root form and a single rule fit too.
    expect(builderFromCriteria({ all: [] })).toEqual({ combine: 'all', count: '', rows: [] });
    expect(builderFromCriteria({ kind: 'completed', activity: 'essay' })!.rows).toHaveLength(1);
  });

  it('leaves to the JSON what the rows cannot show (nested groups, labels, exact times)', () => {
    expect(builderFromCriteria({ kind: 'all', rules: [{ kind: 'any', rules: [{ kind: 'completed', activity: 'essay' }] }] })).toBeNull();
    expect(builderFromCriteria({ kind: 'all', rules: [{ kind: 'completed', activity: 'essay', label: 'Essay' }] })).toBeNull();
    expect(builderFromCriteria({ kind: 'all', rules: [{ kind: 'between', from: '2026-01-01T08:30:00Z' }] })).toBeNull();
  });

  it('says where a JSON problem is in words, never as a schema path', () => {
    expect(describeJsonProblem({ path: 'rules.1.rules.0.activity', message: 'Required' }, [])).toEqual({
      field: 'criteria',
      key: 'iss.json.problem.activity',
      params: { where: '2 › 1' },
    });
    expect(describeJsonProblem({ path: 'rules', message: 'a group needs at least one rule' }, [])).toEqual({ field: 'criteria', key: 'iss.json.root.rules', params: { where: '' } });
    expect(describeJsonProblem({ path: 'rules.0.activity', message: 'unknown activity x', unknownActivity: 'x' }, ['x']).key).toBe('iss.json.ambiguousActivity');
  });
});

describe('achievement fields', () => {
  const base = newFields('en');

  it('reads tags, alignments and validity into the values the credential carries', () => {
    const fields = readFields(
      {
        name: 'Lab safety',
        'achievement-type': 'MicroCredential',
        tags: ' lab,  safety , lab ',
        'in-language': 'es',
        'alignment-0-name': 'Safe handling',
        'alignment-0-framework': 'ESCO',
        'alignment-0-code': 'S1.2',
        'alignment-0-url': 'https://esco.example/s1.2',
        'alignment-1-name': '',
        'alignment-1-url': '',
        validity: 'months',
        'valid-months': '24',
      },
      base,
    );
    expect(checkFields(fields)).toEqual({
      problems: [],
      values: {
        name: 'Lab safety',
        description: '',
        achievementType: 'MicroCredential',
        tags: ['lab', 'safety'],
        alignments: [{ targetName: 'Safe handling', targetUrl: 'https://esco.example/s1.2', targetFramework: 'ESCO', targetCode: 'S1.2' }],
        inLanguage: 'es',
        validForMonths: 24,
        belowCriteriaPolicy: 'keep',
      },
    });
  });

  it('ties each field problem to its input', () => {
    const fields = readFields(
      {
        name: '',
        'achievement-type': 'Spaceship',
        'in-language': 'xx',
        tags: 'x'.repeat(61),
        'alignment-0-name': '',
        'alignment-0-code': 'C1',
        'alignment-0-url': 'javascript:alert(1)',
        validity: 'months',
        'valid-months': '0',
      },
      base,
    );
    expect(checkFields(fields).problems.map((p) => [p.field, p.key])).toEqual([
      ['name', 'iss.error.name'],
      ['achievement-type', 'iss.error.achievementType'],
      ['in-language', 'iss.error.inLanguage'],
      ['tags', 'iss.error.tagLength'],
      ['alignment-0-name', 'iss.error.alignmentName'],
      ['alignment-0-url', 'iss.error.alignmentUrl'],
      ['valid-months', 'iss.error.validMonths'],
    ]);
  });

  it('keeps a field the form does not carry', () => {
    const stored = { ...base, name: 'Old', tags: 'a, b', alignments: [{ name: 'N', framework: '', code: '', url: 'https://x.example' }] };
    expect(readFields({ name: 'New' }, stored)).toMatchObject({ name: 'New', tags: 'a, b', alignments: stored.alignments });
  });
});

describe('validity in months', () => {
  it('ends on the same day of a later month, or on the last day of a shorter one', () => {
    expect(addMonths(new Date('2026-03-15T10:00:00Z'), 12).toISOString()).toBe('2027-03-15T10:00:00.000Z');
    expect(addMonths(new Date('2026-01-31T10:00:00Z'), 1).toISOString()).toBe('2026-02-28T10:00:00.000Z');
    expect(addMonths(new Date('2027-12-31T00:00:00Z'), 2).toISOString()).toBe('2028-02-29T00:00:00.000Z');
  });
});
