/**
 * LTI Advantage services per platform, usable outside a launch (scheduled syncs, the
 * issuance pipeline): AGS line items, scores and results; NRPS memberships.
 *
 * https://www.imsglobal.org/spec/lti-ags/v2p0
 * https://www.imsglobal.org/spec/lti-nrps/v2p0
 */
import type { Logger } from '../logger.ts';
import type { Database } from '../storage/database.ts';
import type { LtiStore } from '../storage/lti-store.ts';
import { createPlatformRepository, type Platform } from '../storage/platform-repository.ts';
import { SCOPE } from './claims.ts';
import { LtiError } from './errors.ts';
import { createServiceClient, parseLinkHeader, type ServiceClient, type ServiceClientOptions } from './service-client.ts';
import { createToolKeys, type ToolKeys } from './tool-keys.ts';

const LINE_ITEM = 'application/vnd.ims.lis.v2.lineitem+json';
const LINE_ITEM_CONTAINER = 'application/vnd.ims.lis.v2.lineitemcontainer+json';
const SCORE = 'application/vnd.ims.lis.v1.score+json';
const RESULT_CONTAINER = 'application/vnd.ims.lis.v2.resultcontainer+json';
const MEMBERSHIP_CONTAINER = 'application/vnd.ims.lti-nrps.v2.membershipcontainer+json';
const CANVAS_SUBMISSION = 'https://canvas.instructure.com/lti/submission';

export interface LineItem {
  id: string;
  label: string;
  scoreMaximum: number;
  resourceId?: string;
  resourceLinkId?: string;
  tag?: string;
  [extra: string]: unknown;
}

export interface LineItemFilters {
  resourceId?: string;
  resourceLinkId?: string;
  tag?: string;
}

export interface NewLineItem {
  label: string;
  scoreMaximum: number;
  resourceId: string;
  tag?: string;
  resourceLinkId?: string;
}

export type ActivityProgress = 'Initialized' | 'Started' | 'InProgress' | 'Submitted' | 'Completed';
export type GradingProgress = 'FullyGraded' | 'Pending' | 'PendingManual' | 'Failed' | 'NotReady';

export interface Score {
  /** The learner's LMS `sub`. */
  userId: string;
  /**
   * Absent: a result without a grade (the comment and progress only). Moodle then stores
   * an empty grade with the comment as feedback, and an empty grade counts in no total.
   */
  scoreGiven?: number;
  /** Required beside `scoreGiven` (AGS §3.4.6; Moodle refuses a score without it). */
  scoreMaximum?: number;
  activityProgress: ActivityProgress;
  gradingProgress: GradingProgress;
  comment?: string;
  /** ISO-8601 with offset; defaults to now. */
  timestamp?: string;
  /** Canvas submission extension: how the submission shows in SpeedGrader. */
  submission?: { submissionType: 'basic_lti_launch' | 'online_url'; submissionData: string; submittedAt?: string };
}

export interface Result {
  id: string;
  userId: string;
  resultScore?: number;
  resultMaximum?: number;
  comment?: string;
  scoreOf: string;
  [extra: string]: unknown;
}

export interface Member {
  user_id: string;
  roles: string[];
  status?: 'Active' | 'Inactive' | 'Deleted';
  name?: string;
  given_name?: string;
  family_name?: string;
  email?: string;
  picture?: string;
  [extra: string]: unknown;
}

export interface Membership {
  context: { id: string; label?: string; title?: string } | null;
  members: Member[];
  /** The platform's `rel="differences"` link, to ask only for changes next time. */
  differencesUrl: string | null;
}

export interface AgsClient {
  /** Every line item of the container, following `rel="next"`. */
  listLineItems(lineItemsUrl: string, filters?: LineItemFilters): Promise<LineItem[]>;
  /** The line item for `resourceId` (and tag, when given), created when missing. */
  findOrCreateLineItem(lineItemsUrl: string, item: NewLineItem): Promise<LineItem>;
  /**
   * Posts a score. Checked before sending against what Moodle refuses: scoreGiven with
   * scoreMaximum, non-negative numbers, ISO-8601 timestamp. A score without `scoreGiven`
   * carries only the comment and the progress values (AGS §3.4.6 makes `scoreGiven` optional).
   * @throws LtiError `invalid_score`, and the service errors.
   */
  postScore(lineItemUrl: string, score: Score): Promise<void>;
  /** Every result of the line item, following `rel="next"`. */
  listResults(lineItemUrl: string): Promise<Result[]>;
  /** Deletes a line item the tool created (its column and grades go with it). */
  deleteLineItem(lineItemUrl: string): Promise<void>;
}

export interface NrpsClient {
  /**
   * The whole roster, every page; `differencesUrl` when the platform offers one.
   * `serviceUrl`: the launch's memberships URL when `membershipsUrl` is a differences link
   * kept from an earlier sync (links must stay on its origin).
   * @throws LtiError `lti_service_link_refused`, and the service errors.
   */
  getMembers(membershipsUrl: string, options?: { serviceUrl?: string }): Promise<Membership>;
}

export interface LtiServices {
  /** @throws LtiError `platform_not_found` (at first use) when the platform is unknown. */
  ags(platformId: string): AgsClient;
  nrps(platformId: string): NrpsClient;
  readonly client: ServiceClient;
}

/** `…/lineitems/7?type=x` + `/scores` → `…/lineitems/7/scores?type=x` (AGS §3.4: keep the query). */
export function serviceUrl(base: string, suffix: string): string {
  const url = new URL(base);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${suffix}`;
  return url.href;
}

const activityValues: ActivityProgress[] = ['Initialized', 'Started', 'InProgress', 'Submitted', 'Completed'];
const gradingValues: GradingProgress[] = ['FullyGraded', 'Pending', 'PendingManual', 'Failed', 'NotReady'];
const isoTimestamp = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function checkScore(score: Score): void {
  const problems: string[] = [];
  if (!score.userId) problems.push('userId is required');
  if (score.scoreGiven !== undefined) {
    if (!Number.isFinite(score.scoreGiven) || score.scoreGiven < 0) problems.push('scoreGiven must be a number ≥ 0');
    if (score.scoreMaximum === undefined || !Number.isFinite(score.scoreMaximum) || score.scoreMaximum <= 0) problems.push('scoreMaximum must be a number > 0');
  } else if (score.scoreMaximum !== undefined) {
    problems.push('scoreMaximum goes only beside scoreGiven');
  }
  if (!activityValues.includes(score.activityProgress)) problems.push(`activityProgress must be one of ${activityValues.join(', ')}`);
  if (!gradingValues.includes(score.gradingProgress)) problems.push(`gradingProgress must be one of ${gradingValues.join(', ')}`);
  if (score.timestamp !== undefined && !isoTimestamp.test(score.timestamp)) problems.push('timestamp must be ISO-8601 with a time zone');
  if (problems.length > 0) throw new LtiError('invalid_score', `Invalid score: ${problems.join('; ')}`, { problems });
}

/** How long a platform registration read is reused by the service clients. */
const PLATFORM_REUSE_MS = 5_000;

const originOf = (url: string): string | null => {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
};

export function createLtiServices({
  db,
  store,
  encryptionKey,
  toolKeys,
  log,
  ...clientOptions
}: {
  db: Database;
  store?: LtiStore;
  encryptionKey?: string;
  toolKeys?: ToolKeys;
  /** Where refused service links are reported. */
  log?: Pick<Logger, 'warn'>;
} & Omit<ServiceClientOptions, 'toolKeys'>): LtiServices {
  const keys = toolKeys ?? createToolKeys({ store: store!, encryptionKey: encryptionKey! });
  const client = createServiceClient({ ...clientOptions, toolKeys: keys });
  const platforms = createPlatformRepository(db);
  // Every AGS and NRPS request needs the platform's token endpoint and key id: a badge
  // run posts hundreds of scores to one platform in seconds, so a registration read is
  // reused for a few seconds (an edit of it applies to requests started after that).
  const recentPlatforms = new Map<string, { readAt: number; platform: Promise<Platform> }>();
  const platformOf = (platformId: string): Promise<Platform> => {
    const recent = recentPlatforms.get(platformId);
    if (recent && Date.now() - recent.readAt < PLATFORM_REUSE_MS) return recent.platform;
    const platform = platforms.findById(platformId).then((found) => {
      if (!found) throw new LtiError('platform_not_found', `No platform ${platformId}`);
      return found;
    });
    recentPlatforms.set(platformId, { readAt: Date.now(), platform });
    platform.catch(() => recentPlatforms.delete(platformId));
    return platform;
  };

  /**
   * Every page of an AGS or NRPS list. Each request carries the platform's access token,
   * so a `rel="next"` (or `rel="differences"`) link is used only on the origin of the
   * service URL the platform named in its signed launch, or of its issuer: the specs
   * leave the link to the platform, and platforms page on the host of the service itself.
   * A link elsewhere is refused rather than handed the token.
   * https://www.imsglobal.org/spec/lti-nrps/v2p0#limit-query-parameter
   * https://www.imsglobal.org/spec/lti-ags/v2p0#container-request-filters
   */
  async function* pages(platformId: string, scope: string, firstUrl: string, accept: string, serviceUrl: string = firstUrl) {
    const platform = await platformOf(platformId);
    const origins = new Set([originOf(serviceUrl), originOf(platform.iss)]);
    const seen = new Set<string>();
    let url: string | undefined = checkedLink(firstUrl, firstUrl, origins, platform, 'service');
    while (url && !seen.has(url)) {
      seen.add(url);
      const response = await client.request({ platform, scope, url, accept });
      const links = parseLinkHeader(response.headers.get('link'));
      if (links.differences) links.differences = checkedLink(links.differences, url, origins, platform, 'differences');
      const next: string | undefined = links.next ? checkedLink(links.next, url, origins, platform, 'next') : undefined;
      yield { body: (await response.json()) as unknown, links };
      url = next;
    }
  }

  /** `link` made absolute; refused (logged) when it is not on one of `origins`. */
  function checkedLink(link: string, current: string, origins: Set<string | null>, platform: Platform, rel: string): string {
    let target: URL | null = null;
    try {
      target = new URL(link, current);
    } catch {
      target = null;
    }
    if (target && origins.has(target.origin)) return target.href;
    const linkOrigin = target?.origin ?? null;
    log?.warn({ platformId: platform.id, rel, linkOrigin, allowed: [...origins].filter(Boolean) }, 'platform service link to another origin refused; its access token was not sent there');
    throw new LtiError(
      'lti_service_link_refused',
      `The platform's ${rel} link leads to ${linkOrigin ?? 'no valid URL'}, not to its service's origin; Sello sends the platform's access token nowhere else`,
      { platformId: platform.id, rel, linkOrigin },
    );
  }

  return {
    client,
    ags(platformId) {
      const listLineItems: AgsClient['listLineItems'] = async (lineItemsUrl, filters = {}) => {
        const first = new URL(lineItemsUrl);
        if (filters.resourceId) first.searchParams.set('resource_id', filters.resourceId);
        if (filters.resourceLinkId) first.searchParams.set('resource_link_id', filters.resourceLinkId);
        if (filters.tag) first.searchParams.set('tag', filters.tag);
        const items: LineItem[] = [];
        for await (const page of pages(platformId, SCOPE.lineItem, first.href, LINE_ITEM_CONTAINER)) {
          items.push(...((page.body as LineItem[]) ?? []));
        }
        // Filters are advisory for platforms; apply them here too.
        return items.filter(
          (item) =>
            (!filters.resourceId || item.resourceId === filters.resourceId) &&
            (!filters.resourceLinkId || item.resourceLinkId === filters.resourceLinkId) &&
            (!filters.tag || item.tag === filters.tag),
        );
      };
      return {
        listLineItems,
        async findOrCreateLineItem(lineItemsUrl, item) {
          const existing = await listLineItems(lineItemsUrl, { resourceId: item.resourceId, tag: item.tag });
          if (existing[0]) return existing[0];
          const platform = await platformOf(platformId);
          const response = await client.request({
            platform,
            scope: SCOPE.lineItem,
            method: 'POST',
            url: lineItemsUrl,
            accept: LINE_ITEM,
            contentType: LINE_ITEM,
            body: item,
          });
          return (await response.json()) as LineItem;
        },
        async postScore(lineItemUrl, score) {
          checkScore(score);
          const body: Record<string, unknown> = {
            userId: score.userId,
            ...(score.scoreGiven === undefined ? {} : { scoreGiven: score.scoreGiven, scoreMaximum: score.scoreMaximum }),
            activityProgress: score.activityProgress,
            gradingProgress: score.gradingProgress,
            timestamp: score.timestamp ?? new Date().toISOString(),
          };
          if (score.comment !== undefined) body.comment = score.comment;
          if (score.submission) {
            body[CANVAS_SUBMISSION] = {
              new_submission: true,
              submission_type: score.submission.submissionType,
              submission_data: score.submission.submissionData,
              ...(score.submission.submittedAt ? { submitted_at: score.submission.submittedAt } : {}),
            };
          }
          const platform = await platformOf(platformId);
          const response = await client.request({
            platform,
            scope: SCOPE.score,
            method: 'POST',
            url: serviceUrl(lineItemUrl, '/scores'),
            contentType: SCORE,
            body,
          });
          await response.body?.cancel().catch(() => {});
        },
        async listResults(lineItemUrl) {
          const results: Result[] = [];
          for await (const page of pages(platformId, SCOPE.resultReadonly, serviceUrl(lineItemUrl, '/results'), RESULT_CONTAINER)) {
            results.push(...((page.body as Result[]) ?? []));
          }
          return results;
        },
        async deleteLineItem(lineItemUrl) {
          const platform = await platformOf(platformId);
          const response = await client.request({ platform, scope: SCOPE.lineItem, method: 'DELETE', url: lineItemUrl });
          await response.body?.cancel().catch(() => {});
        },
      };
    },
    nrps(platformId) {
      return {
        async getMembers(membershipsUrl, options = {}) {
          const membership: Membership = { context: null, members: [], differencesUrl: null };
          for await (const page of pages(platformId, SCOPE.nrps, membershipsUrl, MEMBERSHIP_CONTAINER, options.serviceUrl ?? membershipsUrl)) {
            const body = page.body as { context?: Membership['context']; members?: Member[] };
            membership.context ??= body.context ?? null;
            membership.members.push(...(body.members ?? []));
            if (page.links.differences) membership.differencesUrl = page.links.differences;
          }
          return membership;
        },
      };
    },
  };
}
