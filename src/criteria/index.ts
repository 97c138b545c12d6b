/** Criteria: pure rules, their validation, evaluation and words (no express, SQL or ethers). */
export { COURSE_ACTIVITY, parseCriteria, type Criteria, type Rule } from './criteria-schema.ts';
export { CriteriaError, type CriteriaErrorCode } from './criteria-error.ts';
export { validateCriteria, activitiesOf, walk, type CriteriaProblem, type ValidateCriteriaParameters } from './validate-criteria.ts';
export { evaluate, type EvaluateParameters, type EvaluationResult, type LearnerOutcome, type RuleProgress, type Needed, type Has } from './evaluate.ts';
export { renderNarrative, renderNarratives, describeProgress, leafProgress, formatNumber, type CriteriaLocale } from './render-criteria.ts';
export { resolveActivityNames, type NamedActivity } from './resolve-activity-names.ts';
