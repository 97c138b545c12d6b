/**
 * The JSON-LD and Data Integrity stack (jsonld, jsonld-signatures, @digitalbazaar/vc)
 * reports a failure as an error whose useful part sits deeper: in `errors` (one per
 * proof), `cause`, or `details.cause`. Both verifiers look for the most specific reason
 * there, so they walk it the same way: breadth first, each error once.
 */
export function* nestedErrors(error: unknown): Generator<object> {
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  while (queue.length > 0) {
    const current = queue.shift();
    if (!current || typeof current !== 'object' || seen.has(current)) continue;
    seen.add(current);
    yield current;
    const nested = current as { errors?: unknown; cause?: unknown; details?: { cause?: unknown } };
    if (Array.isArray(nested.errors)) queue.push(...nested.errors);
    queue.push(nested.cause, nested.details?.cause);
  }
}

/** An error's own message, when it has one. */
export function messageOf(error: object): string | null {
  const message = (error as { message?: unknown }).message;
  return typeof message === 'string' ? message : null;
}
