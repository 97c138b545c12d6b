import crypto from 'node:crypto';
import type { RequestHandler } from 'express';
import { HttpError } from '../../errors.ts';

/**
 * Guards admin routes with the deployment's bearer token (`Authorization: Bearer …`),
 * compared in constant time.
 *
 * @throws HttpError `unauthorized` (401) when the token is missing or wrong.
 */
export function requireAdminToken(adminToken: string): RequestHandler {
  const expected = crypto.createHash('sha256').update(adminToken).digest();
  return (req, _res, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    const given = crypto.createHash('sha256').update(match?.[1]?.trim() ?? '').digest();
    if (!match || !crypto.timingSafeEqual(given, expected)) {
      next(new HttpError('unauthorized', 'A valid admin bearer token is required'));
      return;
    }
    next();
  };
}
