/**
 * The two steps nearly every page test takes with the sandbox LMS: register Sello in it by
 * LTI Dynamic Registration (approved at once under the test configuration), then launch a
 * user into a course and keep the session Sello hands back (the ltik of the landing page).
 */
import type { Sandbox, ToolRegistration } from '../../../src/sandbox-lms/index.ts';
import { createBrowser } from './browser.ts';

/** Registers the Sello at `selloUrl` in `lms` and returns the LMS's side of the registration. */
export async function registerSello(lms: Sandbox, selloUrl: string): Promise<ToolRegistration> {
  await createBrowser().get(`${selloUrl}/lti/register?openid_configuration=${encodeURIComponent(lms.openIdConfigurationUrl())}&registration_token=${lms.newRegistrationToken()}`);
  const registration = [...lms.registrations.values()].at(-1);
  if (!registration) throw new Error('Sello did not register in the sandbox LMS');
  return registration;
}

/** A launch of `userSub` into `courseId` from a fresh browser: the ltik Sello's landing page carries. */
export async function launchLtik(lms: Sandbox, registration: ToolRegistration, userSub: string, courseId: string): Promise<string> {
  const browser = createBrowser();
  const page = await browser.submit(await browser.get(lms.initiateLaunch({ clientId: registration.clientId, userSub, courseId }).url));
  const ltik = new URL(page.url).searchParams.get('ltik');
  if (!ltik) throw new Error(`The launch of ${userSub} failed: ${page.status} ${page.url} ${/<section class="error"[\s\S]*?<\/section>/.exec(page.text)?.[0] ?? ''}`);
  return ltik;
}
