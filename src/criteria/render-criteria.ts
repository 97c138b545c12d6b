/**
 * Words for criteria, in English and Spanish: the OB 3.0 `criteria.narrative`
 * (Markdown, https://www.imsglobal.org/spec/ob/v3p0/#criteria) so the credential
 * explains itself, and one line per rule of a learner's progress.
 */
import type { Criteria, Rule } from './criteria-schema.ts';
import type { RuleProgress } from './evaluate.ts';

export type CriteriaLocale = 'en' | 'es';

const words = {
  en: {
    all: 'All of the following:',
    any: 'Any one of the following:',
    atLeast: (n: number) => `At least ${n} of the following:`,
    scorePercent: (what: string, p: string) => `Score at least ${p}% in ${what}`,
    scorePoints: (what: string, p: string) => `Score at least ${p} points in ${what}`,
    completed: (what: string) => `Complete ${what}`,
    courseGrade: (p: string) => `Reach a course grade of at least ${p}%`,
    between: (from: string | null, until: string | null) =>
      from && until ? `Between ${from} and ${until}` : from ? `On or after ${from}` : `On or before ${until}`,
    courseName: 'Course grade',
    progressPercent: (label: string, has: string, needed: string) => `${label}: ${has}% of the ${needed}% needed`,
    progressPoints: (label: string, has: string, needed: string) => `${label}: ${has} of the ${needed} points needed`,
    notYet: (label: string, needed: string) => `${label}: no grade yet (${needed} needed)`,
    done: (label: string) => `${label}: completed`,
    notDone: (label: string) => `${label}: not completed yet`,
    count: (has: number, needed: number) => `${has} of the ${needed} needed`,
    window: (met: boolean) => (met ? 'Within the dates' : 'Outside the dates'),
  },
  es: {
    all: 'Todo lo siguiente:',
    any: 'Cualquiera de lo siguiente:',
    atLeast: (n: number) => `Al menos ${n} de lo siguiente:`,
    scorePercent: (what: string, p: string) => `Obtener al menos ${p}% en ${what}`,
    scorePoints: (what: string, p: string) => `Obtener al menos ${p} puntos en ${what}`,
    completed: (what: string) => `Completar ${what}`,
    courseGrade: (p: string) => `Alcanzar una calificación del curso de al menos ${p}%`,
    between: (from: string | null, until: string | null) =>
      from && until ? `Entre ${from} y ${until}` : from ? `A partir de ${from}` : `Hasta ${until}`,
    courseName: 'Calificación del curso',
    progressPercent: (label: string, has: string, needed: string) => `${label}: ${has}% de los ${needed}% necesarios`,
    progressPoints: (label: string, has: string, needed: string) => `${label}: ${has} de los ${needed} puntos necesarios`,
    notYet: (label: string, needed: string) => `${label}: sin calificación aún (se necesita ${needed})`,
    done: (label: string) => `${label}: completado`,
    notDone: (label: string) => `${label}: aún no completado`,
    count: (has: number, needed: number) => `${has} de ${needed} necesarios`,
    window: (met: boolean) => (met ? 'Dentro de las fechas' : 'Fuera de las fechas'),
  },
} as const;

/** 72, 72.5, 66.7: at most one decimal, none when whole. */
export function formatNumber(value: number): string {
  const rounded = Math.round(value * 10) / 10;
  return Number.isInteger(rounded) ? String(rounded) : rounded.toFixed(1);
}

function day(iso: string): string {
  return new Date(iso).toISOString().slice(0, 10);
}

export interface RenderNarrativeParameters {
  criteria: Criteria;
  locale: CriteriaLocale;
  activityNames?: ReadonlyMap<string, string>;
}

/** The criteria as a Markdown list for OB 3.0 `criteria.narrative`. */
export function renderNarrative({ criteria, locale, activityNames = new Map() }: RenderNarrativeParameters): string {
  const w = words[locale];
  const lines: string[] = [];
  const name = (activity: string, label?: string) => label ?? activityNames.get(activity) ?? activity;
  const visit = (rule: Rule, depth: number) => {
    const indent = '  '.repeat(Math.max(0, depth - 1));
    const bullet = depth === 0 ? '' : `${indent}- `;
    switch (rule.kind) {
      case 'all':
      case 'any':
      case 'at_least':
        lines.push(bullet + (rule.kind === 'all' ? w.all : rule.kind === 'any' ? w.any : w.atLeast(rule.count)));
        for (const child of rule.rules) visit(child, depth + 1);
        return;
      case 'score':
        lines.push(
          bullet +
            (rule.minPoints !== undefined
              ? w.scorePoints(name(rule.activity, rule.label), formatNumber(rule.minPoints))
              : w.scorePercent(name(rule.activity, rule.label), formatNumber(rule.minPercent!))),
        );
        return;
      case 'completed':
        lines.push(bullet + w.completed(name(rule.activity, rule.label)));
        return;
      case 'course_grade':
        lines.push(bullet + w.courseGrade(formatNumber(rule.minPercent)));
        return;
      case 'between':
        lines.push(bullet + w.between(rule.from ? day(rule.from) : null, rule.until ? day(rule.until) : null));
        return;
    }
  };
  visit(criteria, 0);
  return lines.join('\n');
}

/** Both languages at once, as stored in `achievements.criteria_narrative`. */
export function renderNarratives(parameters: Omit<RenderNarrativeParameters, 'locale'>): Record<CriteriaLocale, string> {
  return { en: renderNarrative({ ...parameters, locale: 'en' }), es: renderNarrative({ ...parameters, locale: 'es' }) };
}

/** One line for a rule's progress, e.g. "Quiz 3: 72% of the 80% needed". */
export function describeProgress(progress: RuleProgress, locale: CriteriaLocale): string {
  const w = words[locale];
  const label = progress.label ?? (progress.kind === 'course_grade' ? w.courseName : '');
  const needed = progress.needed;
  const has = progress.has;
  if ('percent' in needed && 'percent' in has) {
    return has.percent === null
      ? w.notYet(label, `${formatNumber(needed.percent)}%`)
      : w.progressPercent(label, formatNumber(has.percent), formatNumber(needed.percent));
  }
  if ('points' in needed && 'points' in has) {
    return has.points === null
      ? w.notYet(label, formatNumber(needed.points))
      : w.progressPoints(label, formatNumber(has.points), formatNumber(needed.points));
  }
  if ('completed' in has) return has.completed ? w.done(label) : w.notDone(label);
  if ('count' in needed && 'count' in has) return w.count(has.count, needed.count);
  return w.window(progress.met);
}

/** Every leaf rule's progress in tree order (what a learner's checklist shows). */
export function leafProgress(progress: RuleProgress): RuleProgress[] {
  return progress.children ? progress.children.flatMap(leafProgress) : [progress];
}
