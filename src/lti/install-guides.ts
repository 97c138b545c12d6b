/**
 * The install guides an LMS administrator follows, with this deployment's URLs filled
 * in (`npx sello lti-config` writes them to `lti-config/`). Kept beside the tool
 * configuration so the URLs and scopes they quote cannot drift from what Sello serves.
 */
import { TOOL_SCOPES } from './claims.ts';
import { buildCanvasConfiguration, toolEndpoints } from './tool-configuration.ts';

export function moodleGuide(publicUrl: string): string {
  const e = toolEndpoints(publicUrl);
  return `# Installing Sello in Moodle (4.1 or later)

Sello is an LTI 1.3 Advantage tool. Moodle can add it in one step with **LTI Dynamic
Registration**; the manual settings are below for older sites or locked-down set-ups.

## 1. Dynamic Registration with a registration link (recommended)

1. The Sello administrator makes a one-time registration link:
   \`npx sello platforms invite\` (or **Make a registration link** at
   \`${publicUrl}/admin/platforms\`). It looks like \`${e.register}?invite=…\`, works
   once and expires after 24 hours (\`--hours N\` to change that).
2. In Moodle: *Site administration → Plugins → Activity modules → External tool → Manage tools*.
3. In **Tool URL**, paste the registration link and press **Add LTI Advantage**.
4. A Sello window opens inside Moodle and says *"Sello is registered … It is active"*.
5. Back in Moodle the tool card shows **Pending**: press **Activate**. (Moodle leaves every
   dynamically registered tool pending until an administrator activates it.)
6. On the card, press the gear icon and check the services (step 3 below): Dynamic
   Registration asks for all of them, Moodle grants them as configured.

Without a link, \`${e.register}\` works too, but anyone can open it, so what it registers
waits for a Sello administrator: the window says *"It waits for approval by a Sello
administrator"*; approve the new Moodle line at \`${publicUrl}/admin/platforms\` or with
\`npx sello platforms list\` and \`npx sello platforms approve <id>\`.
(\`LTI_DYNREG_AUTO_APPROVE=true\` approves such registrations at once; it is off by default
and meant only for closed test set-ups.)

Sello only accepts a registration whose OpenID configuration is served from the
issuer's own origin (scheme, host and port of Moodle's site URL), and a registration for
a Moodle it already knows never changes that Moodle: it waits as a request that an
administrator approves (it then replaces the old registration, recorded in the audit
log) or rejects.

## 2. Manual registration

*Manage tools → configure a tool manually*, then:

| Moodle field | Value |
|---|---|
| Tool name | Sello |
| Tool URL | \`${e.launch}\` |
| LTI version | LTI 1.3 |
| Public key type | Keyset URL |
| Public keyset | \`${e.jwks}\` |
| Initiate login URL | \`${e.login}\` |
| Redirection URI(s) | \`${e.launch}\` |
| Custom parameters | \`user_locale=$Person.address.locale\` |
| Tool configuration usage | Show in activity chooser and as a preconfigured tool |
| Default launch container | Embed, without blocks (or **New window**, see Safari below) |
| Supports Deep Linking (Content-Item Message) | ✔ |
| Content Selection URL | \`${e.launch}\` |

After **Save changes**, the tool card's *View configuration details* (the list icon)
shows **Platform ID**, **Client ID**, **Deployment ID**, **Public keyset URL**,
**Access token URL** and **Authentication request URL**. Give them to Sello:

\`\`\`sh
npx sello platforms add \\
  --issuer https://moodle.example.edu \\
  --client-id <Client ID> \\
  --deployment-id <Deployment ID> \\
  --auth-url https://moodle.example.edu/mod/lti/auth.php \\
  --token-url https://moodle.example.edu/mod/lti/token.php \\
  --jwks-url https://moodle.example.edu/mod/lti/certs.php
\`\`\`

(or fill the same fields in \`${publicUrl}/admin/platforms\`). A platform added by an
administrator is active at once.

## 3. Services and privacy

In the tool's settings:

- **IMS LTI Assignment and Grade Services**: *Use this service for grade sync and column
  management* (Sello creates one gradebook column per badge and posts 100 with a comment
  linking the credential).
- **IMS LTI Names and Role Provisioning**: *Use this service to retrieve members'
  information as per privacy settings* (Sello reads the roster for names and emails).
- **Tool Settings**: *Do not use this service*.
- **Privacy**: *Share launcher's name with tool* **Always**, *Share launcher's email with
  tool* **Always**, *Accept grades from the tool* **Always**.

Sello asks for these scopes: ${TOOL_SCOPES.map((s) => `\`${s}\``).join(', ')}.

## 4. Outgoing HTTP from Moodle (local and test set-ups)

Moodle fetches Sello's keyset (\`${e.jwks}\`) from the server. By default it refuses
requests to \`localhost\`/\`127.0.0.1\`/private addresses and to ports other than 80 and 443.
For a Sello on your own machine or on another port, in *Site administration → General →
Security → HTTP security*:

- **cURL blocked hosts list** (\`curlsecurityblockedhosts\`): remove the line that blocks
  your Sello's address (for example \`127.0.0.0/8\` or \`localhost\`);
- **cURL allowed ports list** (\`curlsecurityallowedport\`): add Sello's port (for example
  \`3000\`), or leave it empty to allow every port.

Production Sellos on HTTPS port 443 need neither change.

## 5. Adding a badge to a course

In a course with editing on: **Add an activity or resource → Sello** (or *External tool*
→ Sello), then **Select content**. Sello opens its picker: choose an achievement of the
course or of the institution library, or create one (name, description, image). Moodle
fills in the activity and creates its gradebook column *"Badge: NAME"* (maximum 100).
Learners open the same activity to see their badges and link a wallet.

## 6. Safari and browsers that block third-party cookies

Inside a Moodle iframe, Safari (and Chrome with tracking protection) may block Sello's
cookies. Sello then shows **Open in a new window**. Because Moodle's launch hints can
only be used once, the most reliable set-up for such browsers is *Default launch
container: New window* on the tool.
`;
}

export function canvasGuide(publicUrl: string): string {
  const e = toolEndpoints(publicUrl);
  return `# Installing Sello in Canvas

Sello installs in Canvas as an **LTI 1.3 developer key** (from a JSON URL) or with
**LTI Dynamic Registration**; either way an account administrator then enables it in the
account or a sub-account.

## 1a. Developer key from JSON URL

1. *Admin → (account) → Developer Keys → + Developer Key → + LTI Key.*
2. **Key Name**: Sello. **Redirect URIs**: \`${e.launch}\`.
3. **Method**: *Enter URL*, **JSON URL**: \`${e.canvasJson}\`. (The same JSON is in
   \`lti-config/canvas.json\` for *Paste JSON*.)
4. **Save**. The key appears with state **OFF**: switch it **ON**. The number in the
   *Details* column is the **Client ID**.

The JSON asks for these placements:

| Placement | Message | What it does |
|---|---|---|
| Course Navigation | LtiResourceLinkRequest | "Sello badges" in the course menu: instructor home or learner home |
| Link Selection | LtiDeepLinkingRequest | add a badge link to a module |
| Assignment Selection | LtiDeepLinkingRequest | create an assignment for a badge (with its gradebook column) |

and these scopes (LTI Advantage Services, all switched on in the key):
${TOOL_SCOPES.map((s) => `- \`${s}\``).join('\n')}

## 1b. Dynamic Registration (Canvas 2024 or later, self-hosted)

Make a one-time registration link (\`npx sello platforms invite\`, or **Make a
registration link** at \`${publicUrl}/admin/platforms\`), then *Developer Keys → +
Developer Key → + LTI Registration*, paste the link, review the scopes and placements
Canvas shows, **Enable & Close**. The registration is active in Sello at once. Pasting
\`${e.register}\` without a link also works, but the registration then waits for approval
at \`${publicUrl}/admin/platforms\`.

Sello only accepts an OpenID configuration served from the issuer's own origin. An
Instructure-hosted Canvas serves it from the school's host while its issuer is
\`https://canvas.instructure.com\`, so Sello refuses its Dynamic Registration
(\`invalid_openid_configuration\`): use the developer key (1a) there.

## 2. Enable it in an account

*Admin → Settings → Apps → View App Configurations → + App*, **Configuration Type**:
*By Client ID*, paste the Client ID, **Submit**, **Install**. In the app list, the gear
menu → **Deployment Id** shows the deployment id to give Sello.

## 3. Tell Sello (JSON-URL keys only)

\`\`\`sh
npx sello platforms add \\
  --issuer https://canvas.instructure.com \\
  --client-id <Client ID> \\
  --deployment-id <Deployment Id> \\
  --auth-url https://sso.canvaslms.com/api/lti/authorize_redirect \\
  --token-url https://sso.canvaslms.com/login/oauth2/token \\
  --jwks-url https://sso.canvaslms.com/api/lti/security/jwks
\`\`\`

Instructure-hosted test and beta instances use \`https://canvas.test.instructure.com\` /
\`https://sso.test.canvaslms.com\` and \`https://canvas.beta.instructure.com\` /
\`https://sso.beta.canvaslms.com\`. A self-hosted Canvas uses its own host for the three
endpoints (\`/api/lti/authorize_redirect\`, \`/login/oauth2/token\`, \`/api/lti/security/jwks\`)
and the issuer configured in its \`security.yml\` (by default \`https://canvas.instructure.com\`).

## 4. Using it

Instructors: *Modules → + → External Tool → Sello* (Link Selection) or *Assignments →
+ Assignment → Submission type: External Tool → Find → Sello* (Assignment Selection), pick
or create an achievement. Canvas creates the assignment column *"Badge: NAME"*; when a
learner earns the badge Sello posts 100 with a comment and the credential link as the
submission (SpeedGrader shows it). Everyone: *Sello badges* in the course menu.

## 5. Safari and third-party cookies

Canvas offers LTI platform storage (\`lti_storage_target\`): Sello keeps its login state
there, so launches in the Canvas iframe complete even when the browser blocks
third-party cookies. If a browser refuses that too, Sello shows **Open in a new window**.
`;
}

/** The Canvas developer-key JSON, pretty-printed for `lti-config/canvas.json`. */
export function canvasJson(publicUrl: string): string {
  return `${JSON.stringify(buildCanvasConfiguration({ publicUrl, name: 'Sello', description: 'Open Badges 3.0 microcredentials from course results' }), null, 2)}\n`;
}
