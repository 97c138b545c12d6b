/**
 * How the public credential page recognizes its recipient. Sello's learner session is the
 * ltik, which travels in the links and forms of the LMS pages (no cookie: the LMS frame
 * may block it), so a public page opened by itself knows nobody. The learner's own links
 * to their public pages go through `GET /app/learner/credentials/:id/public?ltik=…`,
 * which checks the credential is theirs, leaves the ltik in a first-party cookie limited
 * to `/credentials/` (httpOnly, SameSite=Lax, a browser-session cookie) and redirects to
 * the clean public URL. The public page then reads the cookie and, when the session is
 * still valid (the same checks as `requireLaunch`) and its learner is the recipient,
 * shows them "Add to wallet". Anyone else, with no cookie or someone else's, gets the page
 * everyone gets.
 */
import type { Request, Response } from 'express';
import type { LaunchOfLtik } from '../../lti/require-launch.ts';

export const RECIPIENT_COOKIE = 'sello_recipient';

/** Leaves the learner's session (their ltik) where only Sello's public credential pages read it. */
export function rememberRecipient(res: Response, { ltik, publicUrl }: { ltik: string; publicUrl: string }): void {
  // Under PUBLIC_URL's own path, where the browser sees the pages (a proxy may serve Sello under a prefix).
  const path = `${new URL(publicUrl).pathname.replace(/\/$/, '')}/credentials/`;
  res.cookie(RECIPIENT_COOKIE, ltik, { httpOnly: true, sameSite: 'lax', secure: publicUrl.startsWith('https://'), path });
}

/** The recipient-recognizing function the public credential page takes (`recipientOf`). */
export type RecipientOfRequest = (req: Request) => Promise<string | null>;

/**
 * The user id of the learner whose valid session this browser carries in its
 * recipient cookie; null without one, or when it is expired, forged or its platform disabled.
 */
export function createRecipientOfRequest({ launchOf }: { launchOf: LaunchOfLtik }): RecipientOfRequest {
  return async (req) => {
    const ltik = (req.cookies as Record<string, unknown> | undefined)?.[RECIPIENT_COOKIE];
    if (typeof ltik !== 'string' || ltik === '' || ltik.length > 4096) return null;
    return (await launchOf(ltik))?.userId ?? null;
  };
}
