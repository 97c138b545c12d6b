/**
 * Moodle web services connector: every activity of a course with each learner's grade
 * and completion state, so criteria can name any Moodle activity, not only LTI ones.
 * Uses the REST protocol with a token an admin creates for a service that allows
 * `core_course_get_contents`, `core_completion_get_activities_completion_status` and
 * `gradereport_user_get_grade_items`.
 *
 * https://docs.moodle.org/dev/Web_service_API_functions
 * Moodle's LTI 1.3 `sub` is the Moodle user id, and its context id the course id, so
 * events carry them as they are.
 */
import { assertOutboundFetch, type OutboundFetch } from '../outbound/outbound-fetch.ts';
import { OutcomeError } from './outcome-error.ts';
import type { OutcomeEvent } from './outcome-event.ts';

export interface MoodleClientParameters {
  baseUrl: string;
  token: string;
  /**
   * Sello's outbound client (src/outbound). It follows no redirect to another origin: a
   * plain fetch re-posts the form, token included, wherever a 307 points.
   */
  fetch: OutboundFetch;
}

/** Moodle answers errors with HTTP 200 and this body. */
interface MoodleException {
  exception: string;
  errorcode: string;
  message: string;
}

const UNAUTHORIZED_CODES = new Set(['invalidtoken', 'accessexception', 'servicenotavailable', 'nopermissions', 'requireloginerror']);

/** Moodle's REST encoding of nested parameters: `a[0][b]=c`. */
function encodeParams(params: Record<string, unknown>, prefix = '', out = new URLSearchParams()): URLSearchParams {
  for (const [key, value] of Object.entries(params)) {
    const name = prefix ? `${prefix}[${key}]` : key;
    if (value === undefined || value === null) continue;
    if (typeof value === 'object') encodeParams(value as Record<string, unknown>, name, out);
    else out.append(name, String(value));
  }
  return out;
}

/**
 * Calls one web service function: a form-encoded POST to `/webservice/rest/server.php`,
 * the token in the body, never in the URL.
 *
 * @throws OutcomeError `connector_unauthorized` (bad token, function not allowed),
 *   `connector_unavailable` (network, HTTP error, any other Moodle exception).
 */
export async function callMoodle<T>({ baseUrl, token, fetch }: MoodleClientParameters, wsfunction: string, params: Record<string, unknown>): Promise<T> {
  assertOutboundFetch(fetch, 'The Moodle connector');
  const url = new URL('webservice/rest/server.php', baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
  // Everything goes in the form body, the token included: Moodle's REST server reads
  // wstoken from POST as well as GET, and a query string ends up in Moodle's and every
  // proxy's access log.
  const form = new URLSearchParams({ wstoken: token, wsfunction, moodlewsrestformat: 'json' });
  encodeParams(params, '', form);
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form.toString(),
    });
  } catch (cause) {
    throw new OutcomeError('connector_unavailable', `Moodle at ${url.origin} is unreachable: ${(cause as Error).message}`, { wsfunction }, { cause });
  }
  if (!response.ok) throw new OutcomeError('connector_unavailable', `Moodle answered HTTP ${response.status} to ${wsfunction}`, { wsfunction, status: response.status });
  const body = (await response.json()) as T | MoodleException;
  if (body && typeof body === 'object' && 'exception' in body && 'errorcode' in body) {
    const code = UNAUTHORIZED_CODES.has(body.errorcode) ? 'connector_unauthorized' : 'connector_unavailable';
    throw new OutcomeError(code, `Moodle refused ${wsfunction}: ${body.message} (${body.errorcode})`, { wsfunction, errorcode: body.errorcode });
  }
  return body as T;
}

interface CourseSection {
  modules: Array<{ id: number; name: string; modname: string }>;
}
interface GradeItem {
  id: number;
  itemname: string | null;
  itemtype: string;
  cmid?: number;
  graderaw: number | null;
  grademax: number;
  gradedategraded: number | null;
  gradedatesubmitted: number | null;
}
interface UserGrades {
  userid: number;
  gradeitems: GradeItem[];
}
interface CompletionStatus {
  cmid: number;
  state: number;
  timecompleted: number;
}

/** A course member as `core_enrol_get_enrolled_users` returns them (the fields Sello reads). */
export interface MoodleEnrolledUser {
  id: number;
  fullname?: string;
  firstname?: string;
  lastname?: string;
  email?: string;
  roles?: Array<{ shortname: string }>;
}

const LIS = 'http://purl.imsglobal.org/vocab/lis/v2/membership#';
/** Moodle's standard role short names as LTI roles (what its own LTI launches send). */
const MOODLE_ROLES: Record<string, string> = {
  student: `${LIS}Learner`,
  editingteacher: `${LIS}Instructor`,
  teacher: 'http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant',
  manager: `${LIS}Administrator`,
};
export const moodleRoleUri = (shortname: string) => MOODLE_ROLES[shortname] ?? `moodle:role:${shortname}`;

/**
 * Every member of a course, a page at a time (`limitfrom` / `limitnumber` options), with
 * name and email (the web service user needs `moodle/user:viewdetails` and
 * `moodle/site:viewuseridentity` for emails). Moodle's user id is its LTI `sub`.
 *
 * https://docs.moodle.org/dev/Web_service_API_functions (core_enrol_get_enrolled_users)
 */
export async function* readMoodleRoster({ client, courseId, pageSize = 200 }: { client: MoodleClientParameters; courseId: string; pageSize?: number }): AsyncGenerator<MoodleEnrolledUser[]> {
  for (let from = 0; ; from += pageSize) {
    const users = await callMoodle<MoodleEnrolledUser[]>(client, 'core_enrol_get_enrolled_users', {
      courseid: courseId,
      options: [
        { name: 'limitfrom', value: from },
        { name: 'limitnumber', value: pageSize },
        { name: 'userfields', value: 'id,fullname,firstname,lastname,email,roles' },
      ],
    });
    if (!Array.isArray(users) || users.length === 0) return;
    yield users;
    if (users.length < pageSize) return;
  }
}

/** Activity key of a Moodle course module. */
export const moodleActivity = (cmid: number | string) => `moodle:cm:${cmid}`;

const fromUnix = (seconds: number | null | undefined, fallback: Date) => (seconds ? new Date(seconds * 1000) : fallback);

/**
 * Reads a course: one batch of events per learner (grades and completions).
 */
export async function* readMoodleCourse({
  client,
  platformId,
  lmsContextId,
  courseId,
  now,
}: {
  client: MoodleClientParameters;
  platformId: string;
  lmsContextId: string;
  courseId: string;
  now: () => Date;
}): AsyncGenerator<OutcomeEvent[]> {
  const sections = await callMoodle<CourseSection[]>(client, 'core_course_get_contents', { courseid: courseId });
  const names = new Map<string, string>();
  for (const section of sections) for (const module of section.modules ?? []) names.set(String(module.id), module.name);
  const report = await callMoodle<{ usergrades: UserGrades[] }>(client, 'gradereport_user_get_grade_items', { courseid: courseId });
  for (const user of report.usergrades ?? []) {
    const learner = String(user.userid);
    const events: OutcomeEvent[] = [];
    const base = { platform: platformId, context: lmsContextId, learner, source: 'moodle' as const };
    for (const item of user.gradeitems ?? []) {
      if (item.graderaw === null || item.graderaw === undefined) continue;
      const activity = item.itemtype === 'course' ? 'course' : item.cmid ? moodleActivity(item.cmid) : `moodle:gradeitem:${item.id}`;
      events.push({
        ...base,
        activity,
        activityName: item.itemtype === 'course' ? undefined : (item.itemname ?? names.get(String(item.cmid))) ?? undefined,
        score: item.graderaw,
        max: item.grademax,
        completed: null,
        at: fromUnix(item.gradedategraded ?? item.gradedatesubmitted, now()),
      });
    }
    const completion = await callMoodle<{ statuses: CompletionStatus[] }>(client, 'core_completion_get_activities_completion_status', {
      courseid: courseId,
      userid: user.userid,
    });
    for (const status of completion.statuses ?? []) {
      events.push({
        ...base,
        activity: moodleActivity(status.cmid),
        activityName: names.get(String(status.cmid)),
        score: null,
        max: null,
        // 1 complete, 2 complete with pass; 0 incomplete, 3 complete but failed.
        completed: status.state === 1 || status.state === 2,
        at: fromUnix(status.timecompleted, now()),
      });
    }
    if (events.length > 0) yield events;
  }
}
