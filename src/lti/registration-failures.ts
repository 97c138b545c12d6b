/**
 * The last failed Dynamic Registrations with their reasons, for the administrator. The
 * registration endpoint is anonymous and answers every failure alike (so that it cannot
 * be used to probe the network); the reason goes to the log and here, where only an
 * admin sees it. Kept in memory and bounded: anyone can cause failures, so they must not
 * fill the database.
 */
export interface RegistrationFailure {
  /** ISO-8601. */
  at: string;
  /** The `openid_configuration` URL as given (truncated). */
  openidConfiguration: string;
  origin: string;
  /** The registrar's code: `lti_registration_unreachable`, `invalid_openid_configuration`, … */
  code: string;
  /** The error and its causes, outermost first (`… : outbound_address_refused …`). */
  reason: string;
  details?: Record<string, unknown>;
}

export interface RegistrationFailureLog {
  record(failure: RegistrationFailure): void;
  /** Newest first. */
  list(): RegistrationFailure[];
}

export function createRegistrationFailureLog({ size = 20 }: { size?: number } = {}): RegistrationFailureLog {
  const failures: RegistrationFailure[] = [];
  return {
    record(failure) {
      failures.unshift(failure);
      failures.length = Math.min(failures.length, size);
    },
    list() {
      return failures.map((failure) => ({ ...failure }));
    },
  };
}
