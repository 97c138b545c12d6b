/**
 * Canvas's REST API as Canvas answers it, for the calls Sello's connector makes:
 * `GET /api/v1/courses/:id/users?enrollment_type[]=student&include[]=email`,
 * `GET /api/v1/courses/:id/modules?include[]=items&student_id=…` (items carry
 * `completion_requirement.completed` for that student),
 * `GET /api/v1/courses/:id/students/submissions?student_ids[]=all&include[]=assignment`,
 * `GET /api/v1/courses/:id/assignments` (the course's assignments, graded or not).
 * Pages with `per_page` and a `Link` header (current/next/first/last), reports
 * `X-Rate-Limit-Remaining`, answers 401 `{"errors":[{"message":"Invalid access token."}]}`
 * and, when the bucket is empty, 403 "403 Forbidden (Rate Limit Exceeded)".
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeCanvasCourse {
  id: number;
  students: Array<{ id: number; name: string; email: string }>;
  modules: Array<{ id: number; name: string; items: Array<{ id: number; title: string; type: string; requirement: 'must_view' | 'must_submit' | 'min_score' }> }>;
  assignments: Array<{ id: number; name: string; points_possible: number }>;
  /** studentId → module item ids completed. */
  completed: Map<number, Set<number>>;
  /** `${assignmentId}/${studentId}` → score. */
  scores: Map<string, number>;
}

export interface FakeCanvas {
  url: string;
  token: string;
  courses: Map<number, FakeCanvasCourse>;
  requests: string[];
  /** Remaining rate-limit quota reported; each request costs `costPerRequest`. */
  quota: { remaining: number; costPerRequest: number; throttleNext: number };
  /**
   * The origin its `Link` headers name; null: the host it was asked on, as Canvas does.
   * Set to play a Canvas (or a proxy in front of it) that pages elsewhere.
   */
  linkOrigin: string | null;
  /** The largest `per_page` it honours (Canvas caps it; 100 by default). */
  maxPerPage: number;
  close(): Promise<void>;
}

export async function startFakeCanvas({ token = 'canvas-token-1' }: { token?: string } = {}): Promise<FakeCanvas> {
  const courses = new Map<number, FakeCanvasCourse>();
  const requests: string[] = [];
  const quota = { remaining: 700, costPerRequest: 1, throttleNext: 0 };
  const settings = { linkOrigin: null as string | null, maxPerPage: 100 };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    requests.push(`${url.pathname}${url.search}`);
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-rate-limit-remaining': quota.remaining.toFixed(3), ...headers });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${token}`) {
      res.writeHead(401, { 'content-type': 'application/json; charset=utf-8', 'www-authenticate': 'Bearer realm="canvas-lms"' });
      res.end(JSON.stringify({ errors: [{ message: 'Invalid access token.' }] }));
      return;
    }
    if (quota.throttleNext > 0) {
      quota.throttleNext -= 1;
      res.writeHead(403, { 'content-type': 'text/plain', 'x-rate-limit-remaining': '0.0' });
      res.end('403 Forbidden (Rate Limit Exceeded)');
      return;
    }
    quota.remaining = Math.max(0, quota.remaining - quota.costPerRequest);
    const match = /^\/api\/v1\/courses\/(\d+)\/(users|modules|assignments|students\/submissions)$/.exec(url.pathname);
    const course = match ? courses.get(Number(match[1])) : undefined;
    if (!match || !course) return json(404, { errors: [{ message: 'The specified resource does not exist.' }] });

    const paged = (all: unknown[]) => {
      const perPage = Math.min(settings.maxPerPage, Math.max(1, Number(url.searchParams.get('per_page') ?? 10)));
      const page = Math.max(1, Number(url.searchParams.get('page') ?? 1));
      const last = Math.max(1, Math.ceil(all.length / perPage));
      const link = (n: number, rel: string) => {
        const target = new URL(url.href);
        target.searchParams.set('page', String(n));
        target.searchParams.set('per_page', String(perPage));
        return `<${settings.linkOrigin ?? `http://${req.headers.host}`}${target.pathname}${target.search}>; rel="${rel}"`;
      };
      const links = [link(page, 'current'), ...(page < last ? [link(page + 1, 'next')] : []), ...(page > 1 ? [link(page - 1, 'prev')] : []), link(1, 'first'), link(last, 'last')];
      json(200, all.slice((page - 1) * perPage, page * perPage), { link: links.join(',') });
    };

    if (match[2] === 'users') {
      if (!url.searchParams.getAll('enrollment_type[]').includes('student')) return paged([]);
      const withEmail = url.searchParams.getAll('include[]').includes('email');
      return paged(
        course.students.map((s) => ({ id: s.id, name: s.name, sortable_name: s.name, short_name: s.name, login_id: s.email, ...(withEmail ? { email: s.email } : {}) })),
      );
    }
    if (match[2] === 'assignments') {
      // Canvas's Assignment object (the fields a client relies on), in position order.
      return paged(
        course.assignments.map((assignment, position) => ({
          id: assignment.id,
          name: assignment.name,
          description: null,
          course_id: course.id,
          position: position + 1,
          points_possible: assignment.points_possible,
          grading_type: 'points',
          submission_types: ['online_quiz'],
          due_at: null,
          published: true,
          muted: false,
          html_url: `http://${req.headers.host}/courses/${course.id}/assignments/${assignment.id}`,
          has_submitted_submissions: [...course.scores.keys()].some((key) => key.startsWith(`${assignment.id}/`)),
        })),
      );
    }
    if (match[2] === 'modules') {
      const studentId = Number(url.searchParams.get('student_id'));
      const withItems = url.searchParams.getAll('include[]').includes('items');
      return paged(
        course.modules.map((module, position) => ({
          id: module.id,
          name: module.name,
          position: position + 1,
          workflow_state: 'active',
          items_count: module.items.length,
          items_url: `http://${req.headers.host}/api/v1/courses/${course.id}/modules/${module.id}/items`,
          ...(withItems
            ? {
                items: module.items.map((item, index) => ({
                  id: item.id,
                  module_id: module.id,
                  position: index + 1,
                  title: item.title,
                  indent: 0,
                  type: item.type,
                  completion_requirement: {
                    type: item.requirement,
                    ...(studentId ? { completed: course.completed.get(studentId)?.has(item.id) ?? false } : {}),
                  },
                })),
              }
            : {}),
        })),
      );
    }
    const all = url.searchParams.getAll('student_ids[]').includes('all');
    const withAssignment = url.searchParams.getAll('include[]').includes('assignment');
    const submissions = course.assignments.flatMap((assignment) =>
      course.students
        .filter(() => all)
        .map((student) => {
          const score = course.scores.get(`${assignment.id}/${student.id}`);
          return {
            id: assignment.id * 100000 + student.id,
            assignment_id: assignment.id,
            user_id: student.id,
            score: score ?? null,
            grade: score === undefined ? null : String(score),
            submitted_at: score === undefined ? null : '2026-05-01T09:00:00Z',
            graded_at: score === undefined ? null : '2026-05-01T10:00:00Z',
            workflow_state: score === undefined ? 'unsubmitted' : 'graded',
            ...(withAssignment ? { assignment: { id: assignment.id, name: assignment.name, points_possible: assignment.points_possible } } : {}),
          };
        }),
    );
    return paged(submissions);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    courses,
    requests,
    quota,
    get linkOrigin() {
      return settings.linkOrigin;
    },
    set linkOrigin(origin: string | null) {
      settings.linkOrigin = origin;
    },
    get maxPerPage() {
      return settings.maxPerPage;
    },
    set maxPerPage(limit: number) {
      settings.maxPerPage = limit;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
