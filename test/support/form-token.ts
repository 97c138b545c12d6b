import { FORM_TOKEN_FIELD, ltiFormToken } from '../../src/web/form-protection.ts';
import { testKek } from './config.ts';

/**
 * The fields every LTI form of Sello carries, the ltik and its CSRF token, as the page
 * renders them (for tests that post a form without fetching its page first).
 */
export function ltiFormFields(ltik: string, secret: Buffer = testKek): Record<string, string> {
  return { ltik, [FORM_TOKEN_FIELD]: ltiFormToken(secret, ltik) };
}
