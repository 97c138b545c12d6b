import { FORM_TOKEN_FIELD } from '../../src/web/form-protection.ts';

/** The `name=value` pairs of a response's Set-Cookie lines. */
export function cookiePairs(res: Response): string[] {
  return res.headers.getSetCookie().map((line) => line.split(';')[0]!);
}

/** The form token a rendered page carries (every POST form of Sello has it). */
export function formTokenOf(html: string): string | null {
  return new RegExp(`name="${FORM_TOKEN_FIELD}" value="([^"]+)"`).exec(html)?.[1] ?? null;
}

/**
 * Signs in to the admin pages as a browser does: opens the sign-in page (which sets the
 * form cookie and carries the form token), then posts the token with it. Returns the
 * cookie header of the session (admin session and form cookie) and the form token, for
 * the admin forms a test posts next.
 */
export async function signInAsAdmin(baseUrl: string, adminToken: string, next = '/admin'): Promise<{ cookie: string; formToken: string; status: number }> {
  const form = await fetch(`${baseUrl}/admin/login`, { redirect: 'manual' });
  const formCookies = cookiePairs(form);
  const formToken = formTokenOf(await form.text());
  if (!formToken) throw new Error('The sign-in page carries no form token');
  const signIn = await fetch(`${baseUrl}/admin/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: formCookies.join('; ') },
    body: new URLSearchParams({ token: adminToken, next, [FORM_TOKEN_FIELD]: formToken }).toString(),
  });
  await signIn.arrayBuffer();
  return { cookie: [...formCookies, ...cookiePairs(signIn)].join('; '), formToken, status: signIn.status };
}
