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
6. On the card, press the gear icon (*Edit*) and change one setting Moodle chose by
   itself: **Tool configuration usage** comes out as *"Show as preconfigured tool when
   adding an external tool"*, which keeps Sello **out of the activity chooser**. Set it to
   **"Show in activity chooser and as a preconfigured tool"** and save. (Moodle 4.5 sets
   this for every dynamically registered tool and ignores what the tool asks for, so Sello
   cannot request it; Moodle 4.5 also has no generic *External tool* entry in the chooser,
   so without this change instructors cannot add Sello at all.)
7. In the same form, check the services and privacy (step 3 below): Dynamic Registration
   asks for all of them, and Moodle grants them as configured. *Accept grades from the
   tool* comes out as **"Delegate to teacher"**: see step 3 for what that means.

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
  management* (each badge has one gradebook column, the one its activity creates; Sello
  posts there a comment linking the credential, and no grade: see section 7).
- **IMS LTI Names and Role Provisioning**: *Use this service to retrieve members'
  information as per privacy settings* (Sello reads the roster for names and emails).
- **Tool Settings**: *Do not use this service*.
- **Privacy**: *Share launcher's name with tool* **Always**, *Share launcher's email with
  tool* **Always** (Dynamic Registration sets both, as Sello asks for the name and email
  claims). *Accept grades from the tool*: Dynamic Registration leaves **"Delegate to
  teacher"**, which is fine: each Sello activity then has its own *Accept grades from the
  tool* box (activity settings → *Privacy*), and an activity added with Sello's picker
  arrives with it ticked, so Moodle creates the badge's gradebook column. If a teacher
  unticks it, Moodle refuses Sello's badge result: the credential is still issued (the
  learner sees it in Sello), only the gradebook link is missing. **Always** removes that
  choice from teachers; **Never** means no badge column at all.

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

In a course with editing on: **Add an activity or resource → Sello** (Sello is in the
chooser once *Tool configuration usage* is set as in step 1.6; Moodle 4.5 has no generic
*External tool* entry), then **Select content**. Sello opens its picker: choose an
achievement of the course or of the institution library, or create one (name,
description, image). Sello returns it to Moodle, which fills in the activity form:
**Save and return to course**. Only then does the achievement exist in Sello: if the
instructor cancels the form, nothing is left behind (an unsaved "Create" is a draft,
removed after a day; creating the same name again reuses it, and a name the course
already has is flagged). Moodle creates the badge's gradebook column (maximum 100)
**named after the activity** (the name in the activity form, which Sello fills with the
achievement's name), not after the line item's label. Learners open the same activity
to see their badges and link a wallet.

Instructors open Sello from the course to write the criteria. At that launch Sello reads
the course's activities (its own line items and, with the connector of section 8, every
quiz, assignment and page), so the editor lists them **by name** before anyone has a
grade; criteria name them as Moodle shows them ("Quiz 3"), and an activity the course
does not have is refused. **Sync now** on Sello's course page reads grades at once
instead of waiting for the schedule (an administrator can do the same with
\`npx sello sync --context <Moodle course id>\`, also while the server runs).

## 6. Safari and browsers that block third-party cookies

Inside a Moodle iframe, Safari (and Chrome with tracking protection) may block Sello's
cookies. Sello then shows **Open in a new window**. Because Moodle's launch hints can
only be used once, the most reliable set-up for such browsers is *Default launch
container: New window* on the tool.

Sello must be served over **HTTPS** when Moodle is on another site: over plain
\`http://\` browsers drop Sello's login cookie on Moodle's launch post, in the iframe and in
a new window alike, and Sello answers *"Sello needs HTTPS to open from this LMS"*
(\`lti_https_required\`). For a trial on one computer, run Moodle and Sello both on
\`localhost\` (different ports are fine).

## 7. The badge column in the gradebook, and learners who never open Sello

**One column per badge.** The badge's activity (added with *Select content*, section 5)
creates its gradebook column; Sello finds it by the achievement's id and posts there, also
for learners who never opened the activity. It never adds a second column. A course where
an older Sello created a second column (*"Badge: NAME"*, outside any activity) has it
merged at the next course sync: the badges are posted again in the activity's column and
the extra column is deleted.

**No grade, so no change to anyone's grade.** Every grade item counts in Moodle's course
total: 100/100 on a badge column took a learner from 10/10 to 110/110. So Sello posts each
badge as a result *without* a score (the AGS \`scoreGiven\` left out, \`Completed\` /
\`FullyGraded\`, with a comment). Moodle stores that as an empty grade with the comment as
its feedback (\`ltiservice_gradebookservices\`, \`save_grade_item\`), and empty grades count
in no total. What instructors and learners see in the grader and user reports:

- the badge column shows **-** (no grade) for every learner, with the feedback
  *"Badge earned: NAME — ${publicUrl}/credentials/…"* for those who earned it
  (*"Badge revoked: NAME"* after a revocation);
- the course total is the same as without the badge column, and course-grade criteria in
  Sello never count badges.

An instructor who types a grade into the badge column by hand gives that learner the badge
(Sello reads it back) and, like any grade Moodle holds, it then counts in the total. Do not
set the column's *Grade type* to *None*: Moodle then refuses every result for it, Sello's
comments with the credential link included. *Accept grades from
the tool: Delegate to teacher* (what Dynamic Registration sets) lets the teacher choose, per
activity, whether Sello may post to its column: keep it allowed for the badge's activity, or
the link never reaches the gradebook (the credential is issued either way).

**Learners who never open Sello.** Sello reads the course's roster through Names and Role
Provisioning at every instructor launch and every scheduled sync (and, with the web services
connector, \`core_enrol_get_enrolled_users\`), so every enrolled learner has a name and an
email before any award. Keep *Share launcher's email with tool* on **Always**: a learner
with no email (and no DID) cannot receive a credential. Such an award waits, and the
achievement's page in Sello says so (*"earned, waiting for an email address"*); it is issued
by itself as soon as a roster sync or the learner's next launch brings the email.

## 8. The web services connector (quiz, assignment and completion results)

Moodle's Assignment and Grade Services show a tool **only its own line items** (Moodle
lists the gradebook items of that LTI tool), so grades of quizzes and assignments, and
activity completion, reach Sello only through Moodle's web services. Set them up once per
Moodle site, as a site administrator:

1. *Site administration → General → Advanced features*: tick **Enable web services**.
2. *Site administration → Server → Web services → Manage protocols*: enable **REST protocol**.
3. *Site administration → Users → Add a new user*: a dedicated user, e.g. \`sello-service\`
   (manual accounts; nobody logs in as it).
4. *Site administration → Users → Permissions → Define roles → Add a new role*: "Sello web
   service", context type **System**, with these capabilities allowed:
   \`webservice/rest:use\`, \`moodle/course:view\`, \`moodle/course:viewhiddenactivities\`,
   \`moodle/course:viewparticipants\`, \`moodle/course:enrolreview\`, \`moodle/user:viewdetails\`,
   \`moodle/user:viewhiddendetails\`, \`moodle/site:viewuseridentity\` (learners' emails, with
   *Show user identity* including email), \`moodle/grade:viewall\`, \`gradereport/user:view\`,
   \`report/progress:view\`. Then *Assign system roles*: give it to \`sello-service\`.
5. *Site administration → Server → Web services → External services → Add*: name
   "Sello", **Enabled**, **Authorised users only**. Then *Functions → Add functions*, exactly
   these four:

   | Function | What Sello reads with it |
   |---|---|
   | \`core_course_get_contents\` | the course's activities by name |
   | \`core_enrol_get_enrolled_users\` | the roster: names, emails and Moodle ids of every learner |
   | \`gradereport_user_get_grade_items\` | every learner's grades, course total included |
   | \`core_completion_get_activities_completion_status\` | activity completion |

   and *Authorised users*: add \`sello-service\`.
6. *Site administration → Server → Web services → Manage tokens → Create token*: user
   \`sello-service\`, service "Sello" (optionally *IP restriction* to Sello's address).
   Copy the token.
7. Give it to Sello, with the platform id from \`npx sello platforms list\` (or
   \`${publicUrl}/admin/platforms\`):

   \`\`\`sh
   npx sello platforms connector <platform id> --kind moodle \\
     --base-url https://moodle.example.edu --token <token>
   \`\`\`

   (the same as \`PUT ${publicUrl}/admin/api/platforms/<id>/connector\`; the token is stored
   encrypted and never shown again). Try it with \`npx sello sync --context <course id>\`:
   a function missing from the service shows as \`accessexception\`, a missing capability
   as \`nopermissions\` or \`requireloginerror\`.
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
or create an achievement. Canvas creates the assignment column *"Badge: NAME"* (*"Insignia: NAME"*
for an achievement in Spanish); when a
learner earns the badge Sello posts the credential link as the submission (SpeedGrader
shows it) with a comment, and **no score**: the AGS \`scoreGiven\` is left out, so the
submission stays ungraded and the badge changes no learner's total (Canvas computes totals
from graded assignments). The column shows the submission without a grade; an instructor
who grades it by hand gives the badge and that grade counts like any other. Sello reads the
course roster (Names and Role Provisioning) at each instructor launch and each scheduled
sync, so learners who never open Sello get their credential too; the REST connector cannot
add people (Canvas's REST user ids are not its LTI ids), NRPS does. Everyone: *Sello badges*
in the course menu.

An achievement made with "Create" in the picker exists only once Canvas has saved the
item (a cancelled dialog leaves nothing; creating the same name again reuses it). When an
instructor opens Sello, it reads the course's assignments and modules (with the connector
of step 6), so the criteria editor lists them **by name** before any grade exists, and
refuses activities the course does not have. **Sync now** on Sello's course page reads
grades at once.

## 5. Safari and third-party cookies

Canvas offers LTI platform storage (\`lti_storage_target\`): Sello keeps its login state
there, so launches in the Canvas iframe complete even when the browser blocks
third-party cookies. If a browser refuses that too, Sello shows **Open in a new window**.
Sello must be served over **HTTPS** (Canvas is always another site): over plain
\`http://\` the launch cannot complete and Sello says so (\`lti_https_required\`).

## 6. The Canvas connector (every assignment and module, the roster's emails)

Canvas's Assignment and Grade Services show Sello only the assignments it created, and
its LTI user ids are not the REST API's: grades of other assignments, module completion
and the roster's emails come through the REST API with a token.

1. A dedicated Canvas user (e.g. "Sello service") with an account-level role that allows
   only: *Users - view list*, *Users - view primary email address*, *Grades - view all
   grades*, *Course Content - view*, *Courses - view list* (or enrol it as a TA-like role in
   the courses that use Sello).
2. Its token: log in as that user, *Account → Settings → + New Access Token*, purpose
   "Sello". A personal token acts with its user's permissions, so step 1 is what limits it.
   Institutions that require scoped tokens: *Admin → Developer Keys → + API Key*, tick
   **Enforce Scopes** and allow exactly these read-only endpoints, then issue the token
   through that key's OAuth2 flow:
   - \`url:GET|/api/v1/courses/:course_id/users\`
   - \`url:GET|/api/v1/courses/:course_id/enrollments\`
   - \`url:GET|/api/v1/courses/:course_id/assignments\`
   - \`url:GET|/api/v1/courses/:course_id/modules\`
   - \`url:GET|/api/v1/courses/:course_id/students/submissions\`
3. Give it to Sello, with the platform id from \`npx sello platforms list\`:

   \`\`\`sh
   npx sello platforms connector <platform id> --kind canvas \\
     --base-url https://canvas.example.edu --token <token>
   \`\`\`

   (the same as \`PUT ${publicUrl}/admin/api/platforms/<id>/connector\`; stored encrypted).
   Sello finds a course's Canvas id in the launch (the developer key's custom field
   \`canvas_course_id=$Canvas.course.id\`), so every course works once an instructor has
   opened Sello in it. Try it with \`npx sello sync --context <course>\`: HTTP 401 means
   a bad token, 403 a permission or scope missing.
`;
}

/** The Canvas developer-key JSON, pretty-printed for `lti-config/canvas.json`. */
export function canvasJson(publicUrl: string): string {
  return `${JSON.stringify(buildCanvasConfiguration({ publicUrl, name: 'Sello', description: 'Open Badges 3.0 microcredentials from course results' }), null, 2)}\n`;
}
