import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs (pino). Secrets never reach a log line: the paths below are
 * redacted wherever they appear in a logged object.
 */
export function createLogger(options: { level: string; name?: string }): Logger {
  return pino({
    name: options.name ?? 'sello',
    level: options.level,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        '*.privateKey',
        '*.secretKey',
        '*.adminToken',
        '*.keyEncryptionKey',
        '*.password',
        // Outcome sources: a connector's LMS token, a platform's webhook secret.
        '*.token',
        '*.secret',
      ],
      censor: '[redacted]',
    },
  });
}
