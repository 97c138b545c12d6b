/**
 * The achievement editor's view-model: every input as `{id, value, error}` so the page
 * ties each problem to its field (`aria-describedby`, `aria-invalid`) and lists them in a
 * summary that links to the fields; the builder's rows with their options; the criteria's
 * words in the page's language (the preview, also without JavaScript).
 */
import { renderNarrative, resolveActivityNames, validateCriteria, type Criteria } from '../../criteria/index.ts';
import type { Achievement } from '../../storage/achievement-repository.ts';
import type { OutcomeActivity } from '../../storage/outcome-repository.ts';
import { hasTranslation, translate, type Locale } from '../i18n.ts';
import { ACHIEVEMENT_LANGUAGES, ACHIEVEMENT_TYPES, emptyAlignment, type AchievementFields } from './achievement-fields.ts';
import { criteriaFromBuilder, emptyRow, type BuilderRow, type BuilderState, type FieldProblem, type RowKind } from './criteria-builder.ts';

export interface Field {
  id: string;
  value: string;
  error: string | null;
}

export interface EditorViewParameters {
  state: {
    fields: AchievementFields;
    builder: BuilderState | null;
    criteriaJson: string;
    useJson: boolean;
    moreRules?: number;
    moreAlignments?: number;
  };
  problems: readonly FieldProblem[];
  activities: readonly OutcomeActivity[];
  locale: Locale;
  achievement: Achievement | null;
  names: ReadonlyMap<string, string>;
}

const RULE_KINDS: readonly RowKind[] = ['', 'score', 'completed', 'course_grade', 'dates'];

export function editorView({ state, problems, activities, locale, names }: EditorViewParameters) {
  const messages = new Map<string, string[]>();
  for (const problem of problems) messages.set(problem.field, [...(messages.get(problem.field) ?? []), translate(locale, problem.key, problem.params)]);
  const field = (id: string, value: string): Field => ({ id, value, error: messages.get(id)?.join(' ') ?? null });
  const { fields } = state;

  const builder = state.builder ?? { combine: 'all' as const, count: '', rows: [] };
  const rowCount = Math.max(builder.rows.length + 1 + (state.moreRules ?? 0), 2);
  const rows: BuilderRow[] = [...builder.rows];
  while (rows.length < rowCount) rows.push(emptyRow());
  const knownKeys = new Set(activities.map((a) => a.activity));
  const ruleRow = (row: BuilderRow, index: number | '__i__') => {
    const id = (name: string) => `rule-${index}-${name}`;
    const unknown = row.activity && !knownKeys.has(row.activity) ? [{ value: row.activity, label: row.activity, selected: true }] : [];
    return {
      index,
      number: typeof index === 'number' ? index + 1 : '__n__',
      kind: field(id('kind'), row.kind),
      kindOptions: RULE_KINDS.map((kind) => ({ value: kind, label: translate(locale, `iss.builder.kind.${kind || 'none'}`), selected: kind === row.kind })),
      activity: field(id('activity'), row.activity),
      activityOptions: [
        ...activities.map((a) => ({ value: a.activity, label: a.max !== null ? translate(locale, 'iss.builder.activityWithMax', { name: a.name, max: a.max }) : a.name, selected: a.activity === row.activity })),
        ...unknown,
      ],
      threshold: field(id('threshold'), row.threshold),
      unit: field(id('unit'), row.unit),
      unitPercent: row.unit !== 'points',
      from: field(id('from'), row.from),
      until: field(id('until'), row.until),
      dataKind: row.kind || 'none',
    };
  };

  const alignmentCount = Math.max(fields.alignments.length + 1 + (state.moreAlignments ?? 0), 1);
  const alignments = [...fields.alignments];
  while (alignments.length < alignmentCount) alignments.push(emptyAlignment());
  const alignmentRow = (row: (typeof alignments)[number], index: number | '__i__') => {
    const id = (name: string) => `alignment-${index}-${name}`;
    return {
      index,
      number: typeof index === 'number' ? index + 1 : '__n__',
      name: field(id('name'), row.name),
      framework: field(id('framework'), row.framework),
      code: field(id('code'), row.code),
      url: field(id('url'), row.url),
    };
  };

  const types: string[] = [...ACHIEVEMENT_TYPES];
  if (!types.includes(fields.achievementType)) types.push(fields.achievementType);
  const languages: string[] = [...ACHIEVEMENT_LANGUAGES];
  if (!languages.includes(fields.inLanguage)) languages.push(fields.inLanguage);

  return {
    fields: {
      name: field('name', fields.name),
      description: field('description', fields.description),
      achievementType: field('achievement-type', fields.achievementType),
      typeOptions: types.map((type) => ({
        value: type,
        label: hasTranslation(`iss.type.${type}`) ? translate(locale, `iss.type.${type}`) : type,
        selected: type === fields.achievementType,
      })),
      tags: field('tags', fields.tags),
      inLanguage: field('in-language', fields.inLanguage),
      languageOptions: languages.map((language) => ({
        value: language,
        label: hasTranslation(`iss.language.${language}`) ? translate(locale, `iss.language.${language}`) : language,
        selected: language === fields.inLanguage,
      })),
      validityNone: fields.validity === 'none',
      validityMonths: fields.validity === 'months',
      validMonths: field('valid-months', fields.validMonths),
      policyKeep: fields.policy === 'keep',
      policyRevoke: fields.policy === 'revoke',
    },
    alignmentRows: alignments.map((row, index) => alignmentRow(row, index)),
    alignmentTemplate: alignmentRow(emptyAlignment(), '__i__'),
    builder: {
      fits: state.builder !== null,
      combineAll: builder.combine === 'all',
      combineAny: builder.combine === 'any',
      combineAtLeast: builder.combine === 'at_least',
      count: field('combine-count', builder.count),
      rows: rows.map((row, index) => ruleRow(row, index)),
      template: ruleRow(emptyRow(), '__i__'),
    },
    criteria: field('criteria', state.criteriaJson),
    useJson: state.useJson,
    preview: previewOf(state, activities, locale, names),
    problemSummary: problems.map((problem) => ({ field: problem.field, message: translate(locale, problem.key, problem.params) })),
  };
}

/** The criteria in words, as the form describes them; null until they are complete and valid. */
function previewOf(state: EditorViewParameters['state'], activities: readonly OutcomeActivity[], locale: Locale, names: ReadonlyMap<string, string>): string | null {
  let criteria: Criteria | null = null;
  try {
    if (state.useJson) criteria = validateCriteria({ criteria: resolveActivityNames(JSON.parse(state.criteriaJson), activities).criteria });
    else if (state.builder) criteria = criteriaFromBuilder({ state: state.builder, knownActivities: new Set(activities.map((a) => a.activity)) }).criteria;
  } catch {
    criteria = null;
  }
  return criteria ? renderNarrative({ criteria, locale, activityNames: names }) : null;
}
