/**
 * One error model for Sello: every failure a caller may act on is an `AppError` with a
 * stable snake_case `code`, a short message safe to show, optional `details` (also safe
 * to show) and the underlying `cause` (logged, never shown).
 *
 * Each capability has its own subclass and its own code union; the web error middleware
 * maps codes to HTTP statuses (see `src/web/errors.ts`). `TypeError` is reserved for
 * programmer misuse.
 */
export class AppError<Code extends string = string> extends Error {
  readonly code: Code;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: Code, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }
}

export type ConfigErrorCode = 'invalid_config';
/** Bad settings: stops start-up with a message naming the variable. */
export class ConfigError extends AppError<ConfigErrorCode> {}

export type HttpErrorCode =
  | 'not_found'
  | 'invalid_json'
  | 'invalid_json_depth'
  | 'invalid_text'
  | 'invalid_url'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'invalid_request'
  | 'unauthorized'
  | 'forbidden'
  | 'csrf_failed'
  | 'rate_limited'
  | 'internal_error'
  | 'service_unavailable';
/** Errors raised by the HTTP layer itself (parsing, routing, authentication). */
export class HttpError extends AppError<HttpErrorCode> {}

export type StorageErrorCode =
  | 'database_unreachable'
  | 'database_locked'
  | 'database_error'
  | 'migration_failed'
  | 'secrets_unreadable'
  | 'secret_decryption_failed';
/** Errors of the storage capability: connection, lock, migrations, secrets at rest. */
export class StorageError extends AppError<StorageErrorCode> {}

/** True when `error` is an `AppError` carrying `code`. */
export function hasCode(error: unknown, code: string): boolean {
  return error instanceof AppError && error.code === code;
}
