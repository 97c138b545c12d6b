/**
 * A Moodle web services endpoint as Moodle 4.x answers it: `/webservice/rest/server.php`
 * with `wstoken`, `wsfunction`, `moodlewsrestformat` and the function's arguments read
 * from the query string and, on a POST, from an `application/x-www-form-urlencoded` body,
 * the body winning (Moodle's REST server reads `array_merge($_GET, $_POST)`, and PHP fills
 * `$_POST` only from a form-encoded POST body); errors as HTTP 200 with Moodle's exception
 * JSON. Implements the functions Sello's connector uses, over an in-memory course;
 * `core_enrol_get_enrolled_users` pages with the `limitfrom` / `limitnumber` options.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeMoodleActivity {
  cmid: number;
  name: string;
  modname: string;
  /** Grade item, when the activity is graded. */
  grademax?: number;
  /** Course section (0, "General", by default); Moodle lists every section with its modules. */
  section?: number;
}

export interface FakeMoodleCourse {
  id: number;
  activities: FakeMoodleActivity[];
  /** userid → cmid → raw grade. */
  grades: Map<number, Map<number, number>>;
  /** userid → cmids completed. */
  completed: Map<number, Set<number>>;
  /** userid → course total, when set. */
  courseTotals: Map<number, number>;
  users: number[];
  /** userid → name and email (default `Moodle User <id>`, `user<id>@moodle.example`), for the roster. */
  profiles?: Map<number, { fullname: string; email: string }>;
}

export interface FakeMoodle {
  url: string;
  token: string;
  courses: Map<number, FakeMoodleCourse>;
  /**
   * Every call: HTTP method, the URL requested (path and query, as an access log records
   * it), function name and parameters.
   */
  calls: Array<{ method: string; url: string; wsfunction: string; params: Record<string, string> }>;
  close(): Promise<void>;
}

const exception = (errorcode: string, message: string, name = 'moodle_exception') => ({ exception: name, errorcode, message });

export async function startFakeMoodle({ token = 'moodle-ws-token-1' }: { token?: string } = {}): Promise<FakeMoodle> {
  const courses = new Map<number, FakeMoodleCourse>();
  const calls: FakeMoodle['calls'] = [];
  const gradedAt = 1_777_000_000;

  const handlers: Record<string, (params: Record<string, string>) => unknown> = {
    core_course_get_contents(params) {
      const course = courses.get(Number(params.courseid));
      if (!course) return exception('invalidrecord', "Can't find data record in database table course.", 'dml_missing_record_exception');
      const sections = [...new Set([0, ...course.activities.map((activity) => activity.section ?? 0)])].sort((x, y) => x - y);
      return sections.map((number) => ({
        id: course.id * 10 + number,
        name: number === 0 ? 'General' : `Topic ${number}`,
        visible: 1,
        summary: '',
        summaryformat: 1,
        section: number,
        hiddenbynumsections: 0,
        uservisible: true,
        modules: course.activities.filter((activity) => (activity.section ?? 0) === number).map((activity) => ({
          id: activity.cmid,
          url: `https://moodle.example/mod/${activity.modname}/view.php?id=${activity.cmid}`,
          name: activity.name,
          instance: activity.cmid + 1000,
          contextid: activity.cmid + 5000,
          visible: 1,
          uservisible: true,
          visibleoncoursepage: 1,
          modicon: '',
          modname: activity.modname,
          modplural: `${activity.modname}s`,
          indent: 0,
          onclick: '',
          afterlink: null,
          customdata: '""',
          noviewlink: false,
          completion: 1,
        })),
      }));
    },
    gradereport_user_get_grade_items(params) {
      const course = courses.get(Number(params.courseid));
      if (!course) return exception('invalidrecord', "Can't find data record in database table course.", 'dml_missing_record_exception');
      const users = params.userid ? course.users.filter((id) => id === Number(params.userid)) : course.users;
      return {
        usergrades: users.map((userid) => ({
          courseid: course.id,
          courseidnumber: '',
          userid,
          userfullname: `User ${userid}`,
          useridnumber: '',
          maxdepth: 2,
          gradeitems: [
            ...course.activities
              .filter((activity) => activity.grademax !== undefined)
              .map((activity, index) => {
                const raw = course.grades.get(userid)?.get(activity.cmid);
                return {
                  id: index + 1,
                  itemname: activity.name,
                  itemtype: 'mod',
                  itemmodule: activity.modname,
                  iteminstance: activity.cmid + 1000,
                  itemnumber: 0,
                  idnumber: '',
                  categoryid: 1,
                  outcomeid: null,
                  scaleid: null,
                  locked: false,
                  cmid: activity.cmid,
                  graderaw: raw ?? null,
                  gradedatesubmitted: raw === undefined ? null : gradedAt - 60,
                  gradedategraded: raw === undefined ? null : gradedAt,
                  gradehiddenbydate: false,
                  gradeneedsupdate: false,
                  gradeishidden: false,
                  gradeislocked: false,
                  gradeisoverridden: false,
                  gradeformatted: raw === undefined ? '-' : String(raw),
                  grademin: 0,
                  grademax: activity.grademax,
                  rangeformatted: `0.00&ndash;${activity.grademax}.00`,
                  feedback: '',
                  feedbackformat: 0,
                };
              }),
            {
              id: 999,
              itemname: null,
              itemtype: 'course',
              itemmodule: null,
              iteminstance: course.id,
              itemnumber: null,
              idnumber: null,
              categoryid: null,
              outcomeid: null,
              scaleid: null,
              locked: false,
              graderaw: course.courseTotals.get(userid) ?? null,
              gradedatesubmitted: null,
              gradedategraded: course.courseTotals.has(userid) ? gradedAt : null,
              gradehiddenbydate: false,
              gradeneedsupdate: false,
              gradeishidden: false,
              gradeislocked: false,
              gradeisoverridden: false,
              gradeformatted: String(course.courseTotals.get(userid) ?? '-'),
              grademin: 0,
              grademax: 100,
              rangeformatted: '0.00&ndash;100.00',
              feedback: '',
              feedbackformat: 0,
            },
          ],
        })),
        warnings: [],
      };
    },
    core_enrol_get_enrolled_users(params) {
      const course = courses.get(Number(params.courseid));
      if (!course) return exception('invalidrecord', "Can't find data record in database table course.", 'dml_missing_record_exception');
      const option = (name: string) => {
        for (let i = 0; params[`options[${i}][name]`] !== undefined; i += 1) if (params[`options[${i}][name]`] === name) return params[`options[${i}][value]`];
        return undefined;
      };
      const from = Number(option('limitfrom') ?? 0);
      const limit = Number(option('limitnumber') ?? 0);
      const members = course.users.map((id) => {
        const profile = course.profiles?.get(id) ?? { fullname: `Moodle User ${id}`, email: `user${id}@moodle.example` };
        const [firstname, ...rest] = profile.fullname.split(' ');
        return { id, username: `user${id}`, fullname: profile.fullname, firstname, lastname: rest.join(' '), email: profile.email, roles: [{ roleid: 5, name: '', shortname: 'student', sortorder: 0 }] };
      });
      return limit > 0 ? members.slice(from, from + limit) : members.slice(from);
    },
    core_completion_get_activities_completion_status(params) {
      const course = courses.get(Number(params.courseid));
      if (!course) return exception('invalidrecord', "Can't find data record in database table course.", 'dml_missing_record_exception');
      if (!params.userid) return exception('invalidparameter', 'Invalid parameter value detected (Missing required key in single structure: userid)', 'invalid_parameter_exception');
      const done = course.completed.get(Number(params.userid)) ?? new Set<number>();
      return {
        statuses: course.activities.map((activity) => ({
          cmid: activity.cmid,
          modname: activity.modname,
          instance: activity.cmid + 1000,
          state: done.has(activity.cmid) ? 1 : 0,
          timecompleted: done.has(activity.cmid) ? gradedAt : 0,
          tracking: 1,
          overrideby: null,
          valueused: false,
          hascompletion: true,
          isautomatic: true,
          istrackeduser: true,
          uservisible: true,
          details: [],
        })),
        warnings: [],
      };
    },
  };

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const send = (body: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname !== '/webservice/rest/server.php') {
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end('<h1>Not found</h1>');
      return;
    }
    const formBody = req.method === 'POST' && /^application\/x-www-form-urlencoded\b/i.test(req.headers['content-type'] ?? '');
    const params: Record<string, string> = { ...Object.fromEntries(url.searchParams) };
    if (formBody) Object.assign(params, Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))));
    const wsfunction = params.wsfunction ?? '';
    calls.push({ method: req.method ?? 'GET', url: req.url ?? '/', wsfunction, params });
    if (params.wstoken !== token) return send(exception('invalidtoken', 'Invalid token - token not found', 'moodle_exception'));
    if (params.moodlewsrestformat !== 'json') {
      res.writeHead(200, { 'content-type': 'application/xml' });
      res.end('<?xml version="1.0" encoding="UTF-8" ?><RESPONSE></RESPONSE>');
      return;
    }
    const handler = handlers[wsfunction];
    if (!handler) return send(exception('accessexception', 'Access control exception', 'webservice_access_exception'));
    send(handler(params));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    courses,
    calls,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
