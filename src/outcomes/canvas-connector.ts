/**
 * Canvas REST connector: module item completion and assignment scores for every student
 * of a course, with a developer key's token or a user's API token. Follows `Link`
 * paging (`rel="next"`) and slows down as `X-Rate-Limit-Remaining` runs low (Canvas
 * throttles per token; a throttled request gets 403 "Rate Limit Exceeded").
 *
 * https://canvas.instructure.com/doc/api/modules.html
 * https://canvas.instructure.com/doc/api/submissions.html
 * https://canvas.instructure.com/doc/api/file.throttling.html
 * https://canvas.instructure.com/doc/api/file.pagination.html
 *
 * Canvas's LTI 1.3 `sub` is not its REST user id, so students are matched to Sello's
 * users by email (known from launches and rosters); unmatched students are skipped.
 */
import type { Logger } from '../logger.ts';
import { assertOutboundFetch, type OutboundFetch } from '../outbound/outbound-fetch.ts';
import { OutcomeError } from './outcome-error.ts';
import type { OutcomeEvent } from './outcome-event.ts';

export interface CanvasClientParameters {
  baseUrl: string;
  token: string;
  /** Sello's outbound client (src/outbound): address policy, timeouts, same-origin redirects. */
  fetch: OutboundFetch;
  /** Where a refused paging link is reported. */
  log?: Pick<Logger, 'warn'>;
  /** Waits (tests shorten it). */
  sleep?: (ms: number) => Promise<void>;
  /** Below this remaining quota, wait before the next request. */
  lowWater?: number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** `<url>; rel="next", <url>; rel="last"` → `{next, last}`. */
export function parseLinks(header: string | null): Record<string, string> {
  const links: Record<string, string> = {};
  for (const part of header?.split(',') ?? []) {
    const match = /<([^>]+)>\s*;\s*rel="?([^";]+)"?/.exec(part.trim());
    if (match) links[match[2]!] = match[1]!;
  }
  return links;
}

/**
 * Every item of a paged Canvas list, page by page. A `rel="next"` link is followed only
 * on the configured base URL's origin: every request carries the API token, so a link
 * elsewhere (a compromised or misconfigured Canvas, a proxy rewriting headers) would hand
 * the token to whoever runs that origin. Canvas builds its links from the host it was
 * asked on, so they never leave it.
 *
 * @throws OutcomeError `connector_unauthorized` (401, or 403 other than throttling),
 *   `connector_unavailable` (network, other HTTP errors, still throttled after retries),
 *   `connector_link_refused` (a paging link to another origin).
 */
export async function* canvasPages<T>(client: CanvasClientParameters, path: string, query: Array<[string, string]> = []): AsyncGenerator<T[]> {
  assertOutboundFetch(client.fetch, 'The Canvas connector');
  const sleep = client.sleep ?? defaultSleep;
  const lowWater = client.lowWater ?? 100;
  const first = new URL(path, client.baseUrl.endsWith('/') ? client.baseUrl : `${client.baseUrl}/`);
  const origin = first.origin;
  for (const [key, value] of query) first.searchParams.append(key, value);
  if (!first.searchParams.has('per_page')) first.searchParams.set('per_page', '100');
  let url: string | null = first.href;
  const seen = new Set<string>();
  while (url && !seen.has(url)) {
    seen.add(url);
    let response: Response | null = null;
    for (let attempt = 0; attempt < 5; attempt += 1) {
      try {
        response = await client.fetch(url, { headers: { authorization: `Bearer ${client.token}`, accept: 'application/json' } });
      } catch (cause) {
        throw new OutcomeError('connector_unavailable', `Canvas at ${new URL(url).origin} is unreachable: ${(cause as Error).message}`, undefined, { cause });
      }
      const throttled = response.status === 403 && /rate limit exceeded/i.test(await response.clone().text());
      if (!throttled) break;
      await sleep(1000 * 2 ** attempt);
    }
    if (!response!.ok) {
      const status = response!.status;
      const code = status === 401 || status === 403 ? 'connector_unauthorized' : 'connector_unavailable';
      throw new OutcomeError(code, `Canvas answered HTTP ${status} to ${new URL(url).pathname}`, { status });
    }
    const remaining = Number(response!.headers.get('x-rate-limit-remaining'));
    yield (await response!.json()) as T[];
    // Canvas's bucket refills over time: the lower it is, the longer to wait.
    if (Number.isFinite(remaining) && remaining < lowWater) await sleep(Math.ceil((lowWater - remaining) * 10));
    const next: string | undefined = parseLinks(response!.headers.get('link')).next;
    url = next ? canvasNextPage(next, url, origin, client.log) : null;
  }
}

/** The next page's absolute URL, refused when it leaves `origin` (see `canvasPages`). */
function canvasNextPage(link: string, current: string, origin: string, log: Pick<Logger, 'warn'> | undefined): string {
  let next: URL;
  try {
    next = new URL(link, current);
  } catch (cause) {
    throw new OutcomeError('connector_link_refused', 'Canvas answered a paging link that is not a URL', { origin }, { cause });
  }
  if (next.origin !== origin) {
    log?.warn({ connector: 'canvas', origin, linkOrigin: next.origin }, 'Canvas paging link to another origin refused; the API token was not sent there');
    throw new OutcomeError(
      'connector_link_refused',
      `Canvas sent a paging link to ${next.origin}, not ${origin}; Sello sends the API token to the connector's base URL only (set the base URL to the host Canvas answers on)`,
      { origin, linkOrigin: next.origin },
    );
  }
  return next.href;
}

interface CanvasUser {
  id: number;
  name: string;
  email?: string;
  login_id?: string;
}
interface CanvasModule {
  id: number;
  name: string;
  items?: Array<{ id: number; title: string; type: string; completion_requirement?: { type: string; completed?: boolean; min_score?: number } }>;
}
interface CanvasSubmission {
  assignment_id: number;
  user_id: number;
  score: number | null;
  graded_at: string | null;
  submitted_at: string | null;
  workflow_state: string;
  assignment?: { id: number; name: string; points_possible: number | null };
}

export const canvasAssignmentActivity = (id: number | string) => `canvas:assignment:${id}`;
export const canvasModuleItemActivity = (id: number | string) => `canvas:module_item:${id}`;

/**
 * Reads a course: one batch per student for module completion, then one batch per page
 * of submissions.
 */
export async function* readCanvasCourse({
  client,
  platformId,
  lmsContextId,
  courseId,
  subsByEmail,
  now,
}: {
  client: CanvasClientParameters;
  platformId: string;
  lmsContextId: string;
  courseId: string;
  /** Sello subs of this platform's users for the given emails. */
  subsByEmail: (emails: string[]) => Promise<Map<string, string>>;
  now: () => Date;
}): AsyncGenerator<OutcomeEvent[]> {
  const course = `api/v1/courses/${encodeURIComponent(courseId)}`;
  const subOf = new Map<number, string>();
  for await (const page of canvasPages<CanvasUser>(client, `${course}/users`, [
    ['enrollment_type[]', 'student'],
    ['include[]', 'email'],
  ])) {
    const emails = page.map((user) => user.email ?? user.login_id ?? '').filter((email) => email.includes('@'));
    const subs = await subsByEmail(emails);
    for (const user of page) {
      const sub = subs.get((user.email ?? user.login_id ?? '').toLowerCase());
      if (sub) subOf.set(user.id, sub);
    }
  }
  for (const [canvasUserId, learner] of subOf) {
    const events: OutcomeEvent[] = [];
    for await (const modules of canvasPages<CanvasModule>(client, `${course}/modules`, [
      ['include[]', 'items'],
      ['student_id', String(canvasUserId)],
    ])) {
      for (const module of modules) {
        for (const item of module.items ?? []) {
          if (!item.completion_requirement) continue;
          events.push({
            platform: platformId,
            context: lmsContextId,
            learner,
            activity: canvasModuleItemActivity(item.id),
            activityName: item.title,
            score: null,
            max: null,
            completed: item.completion_requirement.completed === true,
            at: now(),
            source: 'canvas',
          });
        }
      }
    }
    if (events.length > 0) yield events;
  }
  for await (const submissions of canvasPages<CanvasSubmission>(client, `${course}/students/submissions`, [
    ['student_ids[]', 'all'],
    ['include[]', 'assignment'],
  ])) {
    const events: OutcomeEvent[] = [];
    for (const submission of submissions) {
      const learner = subOf.get(submission.user_id);
      if (!learner || submission.score === null || submission.score === undefined) continue;
      events.push({
        platform: platformId,
        context: lmsContextId,
        learner,
        activity: canvasAssignmentActivity(submission.assignment_id),
        activityName: submission.assignment?.name,
        score: submission.score,
        max: submission.assignment?.points_possible ?? null,
        completed: null,
        at: submission.graded_at ? new Date(submission.graded_at) : now(),
        source: 'canvas',
      });
    }
    if (events.length > 0) yield events;
  }
}
