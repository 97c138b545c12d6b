/**
 * Where a value sits in a JSON document, for walks that spell out a path only for the one
 * value that fails (spelling it for every value cost the main thread a string per value).
 */

/** One value met by a walk: its parent's step and its key (an index in an array). */
export interface JsonPathStep {
  parent: JsonPathStep | null;
  key: string | number;
}

/** `.a.b[2].c`: the path from the root, each key after a dot and each index in brackets. */
export function jsonPathOf(step: JsonPathStep): string {
  const parts: string[] = [];
  for (let at: JsonPathStep | null = step; at?.parent; at = at.parent) parts.push(typeof at.key === 'number' ? `[${at.key}]` : `.${at.key}`);
  return parts.reverse().join('');
}
