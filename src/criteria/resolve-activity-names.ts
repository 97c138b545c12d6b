/**
 * Lets instructors name activities as the LMS shows them: in criteria as typed (before
 * validation), an `activity` that is not a key of the course but is the name of exactly
 * one of its activities (case and spacing ignored) becomes that activity's key.
 */
export interface NamedActivity {
  activity: string;
  name: string;
}

const normalise = (value: string) => value.trim().replace(/\s+/g, ' ').toLowerCase();

/**
 * Returns a copy of `criteria` with activity names replaced by keys, and the names that
 * matched several activities (left as typed, so validation reports them).
 */
export function resolveActivityNames(criteria: unknown, activities: readonly NamedActivity[]): { criteria: unknown; ambiguous: string[] } {
  const keys = new Set(activities.map((a) => a.activity));
  const byName = new Map<string, string[]>();
  for (const a of activities) byName.set(normalise(a.name), [...(byName.get(normalise(a.name)) ?? []), a.activity]);
  const ambiguous = new Set<string>();
  const visit = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(visit);
    if (!node || typeof node !== 'object') return node;
    const copy: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) copy[key] = key === 'rules' || key === 'all' || key === 'any' ? visit(value) : value;
    if (typeof copy.activity === 'string' && !keys.has(copy.activity)) {
      const matches = byName.get(normalise(copy.activity)) ?? [];
      if (matches.length === 1) copy.activity = matches[0];
      else if (matches.length > 1) ambiguous.add(copy.activity);
    }
    return copy;
  };
  return { criteria: visit(criteria), ambiguous: [...ambiguous] };
}
