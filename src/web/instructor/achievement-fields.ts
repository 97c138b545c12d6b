/**
 * The achievement editor's own fields (everything but the criteria) as a plain form:
 * name, description, OB 3.0 `achievementType`, tags, alignments, `inLanguage`, validity
 * and the below-criteria policy. Read from a submitted form, checked with problems tied to
 * the field that caused them, and turned into the achievement's stored values, which the
 * issued credential carries (https://www.imsglobal.org/spec/ob/v3p0/#achievement).
 */
import type { Achievement, Alignment } from '../../storage/achievement-repository.ts';
import type { FieldProblem } from './criteria-builder.ts';

/**
 * The OB 3.0 `AchievementType` values offered in the editor (the enumeration has more;
 * these are the ones a course badge is). https://www.imsglobal.org/spec/ob/v3p0/#achievementtype-enumeration
 */
export const ACHIEVEMENT_TYPES = [
  'Badge',
  'MicroCredential',
  'Certificate',
  'CertificateOfCompletion',
  'Course',
  'Competency',
  'Assessment',
  'Assignment',
  'Award',
  'Certification',
  'LearningProgram',
  'Achievement',
] as const;

export const ACHIEVEMENT_LANGUAGES = ['en', 'es'] as const;

export interface AlignmentRow {
  name: string;
  framework: string;
  code: string;
  url: string;
}

export interface AchievementFields {
  name: string;
  description: string;
  achievementType: string;
  /** As typed: comma-separated. */
  tags: string;
  alignments: AlignmentRow[];
  inLanguage: string;
  validity: 'none' | 'months';
  validMonths: string;
  policy: 'keep' | 'revoke';
}

export const MAX_ALIGNMENT_ROWS = 20;
const MAX_TAGS = 20;
const MAX_TAG_LENGTH = 60;
const MAX_DESCRIPTION = 2000;
const MAX_MONTHS = 600;

export const emptyAlignment = (): AlignmentRow => ({ name: '', framework: '', code: '', url: '' });

function text(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  return typeof value === 'string' ? value.trim() : '';
}

/**
 * Reads a submitted form over `base` (the stored achievement's fields, or a new one's): a
 * field the form does not carry at all keeps its value, so a post of only some fields
 * changes only those.
 */
export function readFields(body: Record<string, unknown>, base: AchievementFields): AchievementFields {
  const pick = (name: string, fallback: string) => (name in body ? text(body, name) : fallback);
  const rows = Object.keys(body).some((key) => key.startsWith('alignment-'));
  const alignments: AlignmentRow[] = [];
  for (let i = 0; rows && i < MAX_ALIGNMENT_ROWS; i += 1) {
    if (!(`alignment-${i}-name` in body)) continue;
    alignments.push({
      name: text(body, `alignment-${i}-name`),
      framework: text(body, `alignment-${i}-framework`),
      code: text(body, `alignment-${i}-code`),
      url: text(body, `alignment-${i}-url`),
    });
  }
  const validMonths = pick('valid-months', base.validMonths);
  const validity = 'validity' in body ? text(body, 'validity') : base.validity;
  return {
    name: pick('name', base.name),
    description: pick('description', base.description),
    achievementType: pick('achievement-type', base.achievementType),
    tags: pick('tags', base.tags),
    alignments: rows ? alignments : base.alignments,
    inLanguage: pick('in-language', base.inLanguage),
    // A number of months typed without choosing the radio button still means months.
    validity: validity === 'months' || (validity === '' && validMonths !== '') ? 'months' : 'none',
    validMonths,
    policy: 'policy' in body ? (body.policy === 'revoke' ? 'revoke' : 'keep') : base.policy,
  };
}

export function fieldsOf(achievement: Achievement): AchievementFields {
  return {
    name: achievement.name,
    description: achievement.description,
    achievementType: achievement.achievementType,
    tags: achievement.tags.join(', '),
    alignments: achievement.alignments.map((a) => ({ name: a.targetName, framework: a.targetFramework ?? '', code: a.targetCode ?? '', url: a.targetUrl })),
    inLanguage: achievement.inLanguage,
    validity: achievement.validForMonths ? 'months' : 'none',
    validMonths: achievement.validForMonths ? String(achievement.validForMonths) : '',
    policy: achievement.belowCriteriaPolicy,
  };
}

export function newFields(locale: string): AchievementFields {
  // Sello writes criteria narratives in English and Spanish only.
  return { name: '', description: '', achievementType: 'Badge', tags: '', alignments: [], inLanguage: locale, validity: 'none', validMonths: '', policy: 'keep' };
}

export type AchievementValues = Pick<Achievement, 'name' | 'description' | 'achievementType' | 'tags' | 'alignments' | 'inLanguage' | 'validForMonths' | 'belowCriteriaPolicy'>;

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && !/\s/.test(value);
  } catch {
    return false;
  }
}

/** Checks the fields; the values to store, or the problems of each field. */
export function checkFields(fields: AchievementFields, stored?: Pick<Achievement, 'achievementType' | 'inLanguage'>): { values: AchievementValues | null; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  if (!fields.name || fields.name.length > 200) problems.push({ field: 'name', key: 'iss.error.name' });
  if (fields.description.length > MAX_DESCRIPTION) problems.push({ field: 'description', key: 'iss.error.description', params: { max: MAX_DESCRIPTION } });
  // A type outside the editor's list set elsewhere (the VC API) may stay as it is.
  if (!(ACHIEVEMENT_TYPES as readonly string[]).includes(fields.achievementType) && fields.achievementType !== stored?.achievementType) problems.push({ field: 'achievement-type', key: 'iss.error.achievementType' });
  if (!(ACHIEVEMENT_LANGUAGES as readonly string[]).includes(fields.inLanguage) && fields.inLanguage !== stored?.inLanguage) problems.push({ field: 'in-language', key: 'iss.error.inLanguage' });

  const tags = [...new Set(fields.tags.split(',').map((tag) => tag.trim().replace(/\s+/g, ' ')).filter(Boolean))];
  if (tags.length > MAX_TAGS) problems.push({ field: 'tags', key: 'iss.error.tagsCount', params: { max: MAX_TAGS } });
  else if (tags.some((tag) => tag.length > MAX_TAG_LENGTH)) problems.push({ field: 'tags', key: 'iss.error.tagLength', params: { max: MAX_TAG_LENGTH } });

  const alignments: Alignment[] = [];
  fields.alignments.forEach((row, i) => {
    if (!row.name && !row.framework && !row.code && !row.url) return;
    const id = (name: string) => `alignment-${i}-${name}`;
    // OB 3.0 Alignment requires targetName and targetUrl.
    if (!row.name || row.name.length > 200) problems.push({ field: id('name'), key: 'iss.error.alignmentName' });
    if (!row.url) problems.push({ field: id('url'), key: 'iss.error.alignmentUrlMissing' });
    else if (!isHttpUrl(row.url) || row.url.length > 2000) problems.push({ field: id('url'), key: 'iss.error.alignmentUrl' });
    if (row.framework.length > 200) problems.push({ field: id('framework'), key: 'iss.error.alignmentLong' });
    if (row.code.length > 200) problems.push({ field: id('code'), key: 'iss.error.alignmentLong' });
    alignments.push({
      targetName: row.name,
      targetUrl: row.url,
      ...(row.framework ? { targetFramework: row.framework } : {}),
      ...(row.code ? { targetCode: row.code } : {}),
    });
  });

  let validForMonths: number | null = null;
  if (fields.validity === 'months') {
    const months = Number(fields.validMonths);
    if (!fields.validMonths || !Number.isInteger(months) || months < 1 || months > MAX_MONTHS) {
      problems.push({ field: 'valid-months', key: 'iss.error.validMonths', params: { max: MAX_MONTHS } });
    } else validForMonths = months;
  }
  if (problems.length > 0) return { values: null, problems };
  return {
    values: {
      name: fields.name,
      description: fields.description,
      achievementType: fields.achievementType,
      tags,
      alignments,
      inLanguage: fields.inLanguage,
      validForMonths,
      belowCriteriaPolicy: fields.policy,
    },
    problems,
  };
}
