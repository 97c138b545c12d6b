/**
 * What a credential or presentation sent for verification may hold. Verification cost
 * grows faster than the number of JSON values (JSON-LD expansion and RDF
 * canonicalisation, https://www.w3.org/TR/rdf-canon/): measured on one core, a
 * credential with 3,000 evidence items verified in 0.18 s, 10,000 in 1.4 s and 30,000 in
 * 11 s. The limits sit far above real Open Badges 3.0 credentials (Sello's own hold
 * about 150 JSON values; a rich one with dozens of alignments and results, under 1,000)
 * and keep the worst accepted request around a second of one worker's time.
 *
 * The request body itself is capped by `BODY_LIMIT` (2 MB by default) and its nesting
 * by the door check of `src/untrusted-input.ts`.
 */
import { jsonPathOf, type JsonPathStep } from '../json-path.ts';

export interface VerificationLimits {
  /** JSON values (objects, arrays, strings, numbers, booleans, nulls) in the whole request. */
  maxValues: number;
  /** Items in any one array (`evidence`, `alignment`, `verifiableCredential`, …). */
  maxArrayItems: number;
  /** Credentials in one presentation. */
  maxCredentialsPerPresentation: number;
  /**
   * Characters of JSON text of the inline (object) `@context`s, all of the request's
   * together. jsonld keeps the last 100 distinct inline contexts it processed for the
   * life of the process (every verification worker): at 2 MB each, measured, about 7 MB
   * apiece. Inline contexts in real credentials are a few terms (`@vocab`, a handful of
   * extension terms); published contexts are named by URL.
   */
  maxInlineContextChars: number;
}

export const VERIFICATION_LIMITS: Readonly<VerificationLimits> = Object.freeze({
  maxValues: 10_000,
  maxArrayItems: 1_000,
  maxCredentialsPerPresentation: 20,
  maxInlineContextChars: 16_384,
});

export interface LimitExceeded {
  limit: keyof VerificationLimits;
  max: number;
  /** What was found (for `maxValues`, the count when the walk stopped: at least `max + 1`). */
  found: number;
  /** Where, as a JSON path (`$.evidence`). */
  path: string;
  message: string;
}

/**
 * The first limit `input` exceeds, or null. Walks without recursion and stops as soon as
 * a limit is passed, so its own cost is bounded by the limits, not by the input.
 */
export function exceededVerificationLimit(
  input: unknown,
  kind: 'credential' | 'presentation',
  limits: Readonly<VerificationLimits> = VERIFICATION_LIMITS,
): LimitExceeded | null {
  if (kind === 'presentation' && input && typeof input === 'object' && !Array.isArray(input)) {
    const inner = (input as { verifiableCredential?: unknown }).verifiableCredential;
    const count = inner === undefined ? 0 : Array.isArray(inner) ? inner.length : 1;
    if (count > limits.maxCredentialsPerPresentation) {
      return {
        limit: 'maxCredentialsPerPresentation',
        max: limits.maxCredentialsPerPresentation,
        found: count,
        path: '$.verifiableCredential',
        message: `A presentation may hold at most ${limits.maxCredentialsPerPresentation} credentials`,
      };
    }
  }
  let values = 0;
  let inlineContextChars = 0;
  // The JSON path is spelt out only for the value that passes a limit (see `pathOf`).
  const pending: LimitStep[] = [{ value: input, parent: null, key: '' }];
  while (pending.length > 0) {
    const step = pending.pop()!;
    const value = step.value;
    values += 1;
    if (values > limits.maxValues) {
      return { limit: 'maxValues', max: limits.maxValues, found: values, path: pathOf(step), message: `At most ${limits.maxValues} JSON values may be verified in one request` };
    }
    if (!value || typeof value !== 'object') continue;
    if (Array.isArray(value)) {
      if (value.length > limits.maxArrayItems) {
        return { limit: 'maxArrayItems', max: limits.maxArrayItems, found: value.length, path: pathOf(step), message: `An array may hold at most ${limits.maxArrayItems} items` };
      }
      for (let index = value.length - 1; index >= 0; index--) pending.push({ value: value[index], parent: step, key: index });
      continue;
    }
    for (const [key, inner] of Object.entries(value)) {
      if (key === '@context' && inner && typeof inner === 'object') {
        for (const context of Array.isArray(inner) ? inner : [inner]) {
          if (context && typeof context === 'object') inlineContextChars += JSON.stringify(context).length;
        }
        if (inlineContextChars > limits.maxInlineContextChars) {
          return {
            limit: 'maxInlineContextChars',
            max: limits.maxInlineContextChars,
            found: inlineContextChars,
            path: pathOf({ value: inner, parent: step, key }),
            message: `Inline @context objects may hold at most ${limits.maxInlineContextChars} characters in one request; name published contexts by URL`,
          };
        }
      }
      pending.push({ value: inner, parent: step, key });
    }
  }
  return null;
}

interface LimitStep extends JsonPathStep {
  value: unknown;
  parent: LimitStep | null;
}

/** `$.a.b[2]`. */
const pathOf = (step: LimitStep) => `$${jsonPathOf(step)}`;
