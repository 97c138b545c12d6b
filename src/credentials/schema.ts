/**
 * The `schema` check: the official 1EdTech OB 3.0 AchievementCredential JSON Schema
 * (https://www.imsglobal.org/spec/ob/v3p0/#achievementcredential), compiled once with
 * ajv's draft 2019-09 (`strict: false`: the schema has a 2-tuple `items`).
 */
import Ajv2019Module from 'ajv/dist/2019.js';
import addFormatsModule from 'ajv-formats';
import officialSchema from './ob_v3p0_achievementcredential_schema.json' with { type: 'json' };

export interface SchemaResult {
  valid: boolean;
  /** Each problem as `path: message`. */
  errors: string[];
}

type Validate = ((data: unknown) => boolean) & { errors?: Array<{ instancePath: string; message?: string }> | null };
type AjvLike = { compile(schema: object): Validate };

// Both are CommonJS typed as ES modules; at run time the class/function may sit on `.default`.
const Ajv2019 = ((Ajv2019Module as unknown as { default?: unknown }).default ?? Ajv2019Module) as new (options: object) => AjvLike;
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: AjvLike) => void;

/**
 * ajv's options for the schema. The verifier page's bundle compiles the schema with the
 * same ones at build time (ajv's standalone code), since a page under a strict
 * Content-Security-Policy may not compile code at run time.
 */
export const OB3_SCHEMA_AJV_OPTIONS = { strict: false, allErrors: true } as const;

/** The official schema, as compiled here. */
export const OB3_SCHEMA: object = officialSchema;

let compiled: Validate | null = null;

/** Compiled once per process: compiling the schema costs ~100 ms, validating ~0.1 ms. */
function validator(): Validate {
  if (!compiled) {
    const ajv = new Ajv2019({ ...OB3_SCHEMA_AJV_OPTIONS });
    addFormats(ajv);
    compiled = ajv.compile(officialSchema);
  }
  return compiled;
}

/** Validates `credential` against the official schema. Never throws. */
export function validateOb3Schema(credential: unknown): SchemaResult {
  const validate = validator();
  if (validate(credential)) return { valid: true, errors: [] };
  return {
    valid: false,
    errors: (validate.errors ?? []).slice(0, 20).map((error) => `${error.instancePath || '/'}: ${error.message ?? 'invalid'}`),
  };
}
