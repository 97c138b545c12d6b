/**
 * The sandbox LMS: a faithful LTI 1.3 platform peer for Sello's integration tests and its
 * `/demo`: an express app, mounted in Sello or on an ephemeral port. It is strict on
 * purpose: when it accepts something, a real Moodle or Canvas should too.
 *
 * - its own RSA keys and JWKS (with rotation), OIDC auth endpoint, RS256 id_tokens;
 * - Dynamic Registration (openid-configuration + registration endpoint, registration
 *   token required as Moodle does, unsupported scopes refused with 422 as Canvas does);
 * - token endpoint verifying the tool's signed client assertion (RFC 7523) and scopes;
 * - Deep Linking return verifying the tool's signed response;
 * - AGS line items / scores / results with Moodle's validation rules and `rel="next"` paging;
 *   a score without `scoreGiven` stores an empty grade with the comment as feedback, and
 *   a score not newer than the grade held is refused with 409, as Moodle does;
 * - the course's own grade items (a quiz), which AGS does not list, as in Moodle, and the
 *   course total computed as Moodle's natural aggregation does (`courseTotal`);
 * - NRPS memberships with paging and a `differences` link that lists what changed since.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Request, type Response, type NextFunction } from 'express';
import { createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT, type JWK } from 'jose';

const LTI = 'https://purl.imsglobal.org/spec/lti/claim/';
const AGS_CLAIM = 'https://purl.imsglobal.org/spec/lti-ags/claim/endpoint';
const NRPS_CLAIM = 'https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice';
const DL_SETTINGS = 'https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings';
const DL_ITEMS = 'https://purl.imsglobal.org/spec/lti-dl/claim/content_items';
const DL_DATA = 'https://purl.imsglobal.org/spec/lti-dl/claim/data';
const TOOL_CONFIG = 'https://purl.imsglobal.org/spec/lti-tool-configuration';
export const ROLE = {
  instructor: 'http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor',
  learner: 'http://purl.imsglobal.org/vocab/lis/v2/membership#Learner',
  teachingAssistant: 'http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant',
};
const SCOPES = {
  lineItem: 'https://purl.imsglobal.org/spec/lti-ags/scope/lineitem',
  lineItemReadonly: 'https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly',
  score: 'https://purl.imsglobal.org/spec/lti-ags/scope/score',
  result: 'https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly',
  nrps: 'https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly',
};

export interface SandboxUser {
  sub: string;
  name: string;
  givenName: string;
  familyName: string;
  email: string;
  locale: string;
}

export interface SandboxCourse {
  id: string;
  title: string;
  label: string;
  /** sub → roles */
  members: Map<string, string[]>;
}

export interface ToolRegistration {
  clientId: string;
  deploymentId: string;
  initiateLoginUri: string;
  redirectUris: string[];
  jwksUri: string;
  scopes: string[];
  targetLinkUri: string;
  body: Record<string, unknown>;
}

export interface LineItemRecord {
  id: string;
  courseId: string;
  label: string;
  scoreMaximum: number;
  resourceId?: string;
  resourceLinkId?: string;
  tag?: string;
}

export interface ResultRecord {
  id: string;
  scoreOf: string;
  userId: string;
  resultScore?: number;
  resultMaximum?: number;
  comment?: string;
  timestamp: string;
  /** When the LMS last changed the grade (Moodle's `timemodified`, epoch ms): a score must be newer. */
  timeModified?: number;
  activityProgress: string;
  gradingProgress: string;
  extensions: Record<string, unknown>;
}

export interface LaunchOptions {
  clientId: string;
  userSub: string;
  courseId: string;
  messageType?: 'LtiResourceLinkRequest' | 'LtiDeepLinkingRequest';
  resourceLinkId?: string;
  custom?: Record<string, string>;
  /** Passes `lti_storage_target` in the login request (Canvas does). */
  storageTarget?: string;
  /** Initiates the login with a POST form instead of a GET (Canvas does). */
  post?: boolean;
  /** Changes the claims or the header before the id_token is signed (bad-input tests). */
  tamper?: (claims: Record<string, unknown>, header: { alg: string; kid?: string }) => void | 'unsigned' | 'foreign-key';
}

interface PendingLaunch extends LaunchOptions {
  id: string;
}

export interface DeepLinkReturn {
  clientId: string;
  courseId: string;
  items: Array<Record<string, unknown>>;
  message?: string;
}

export interface Sandbox {
  url: string;
  issuer: string;
  users: Map<string, SandboxUser>;
  courses: Map<string, SandboxCourse>;
  registrations: Map<string, ToolRegistration>;
  lineItems: Map<string, LineItemRecord>;
  results: Map<string, ResultRecord>;
  /** Every score accepted, in order (the grade history); `results` keeps the latest per learner and line item. */
  scores: ResultRecord[];
  /** The course's own grade items (quizzes, assignments): in the total, never listed by AGS. */
  gradeItems: Map<string, { id: string; courseId: string; name: string; max: number; grades: Map<string, number> }>;
  deepLinkReturns: DeepLinkReturn[];
  /** Every request the sandbox answered, for assertions (method, path, status). */
  log: Array<{ method: string; path: string; status: number }>;
  tokensIssued: number;
  /** Page size of every paged answer. */
  pageSize: number;
  /**
   * The origin its AGS/NRPS `next` and `differences` links name; null: its own, as
   * platforms do. Set to play a platform (or a proxy) that pages elsewhere.
   */
  linkOrigin: string | null;
  /** A one-time registration token for Dynamic Registration. */
  newRegistrationToken(): string;
  /** The URL an LMS would give to the tool's Dynamic Registration page. */
  openIdConfigurationUrl(): string;
  /** Registers the tool by hand (what an admin does in the LMS). */
  registerToolManually(tool: { loginUrl: string; launchUrl: string; jwksUrl: string; deploymentId?: string; clientId?: string }): ToolRegistration;
  addUser(user: Partial<SandboxUser> & { sub: string }): SandboxUser;
  addCourse(course: { id: string; title: string; label?: string }): SandboxCourse;
  enroll(courseId: string, sub: string, roles: string[]): void;
  /** Removes a member (NRPS differences then list them as `Deleted`). */
  unenroll(courseId: string, sub: string): void;
  /** Adds one of the course's own grade items (a quiz): counts in the total, not in AGS. */
  addGradeItem(item: { courseId: string; id: string; name: string; max: number }): void;
  /** An instructor grades a learner on a course grade item. */
  setGrade(itemId: string, sub: string, grade: number): void;
  /** A gradebook column the LMS lists through AGS (as one a tool created), e.g. a final exam. */
  addLineItem(item: { courseId: string; label: string; scoreMaximum: number; resourceId?: string; tag?: string }): LineItemRecord;
  /** An instructor grades a learner on an AGS line item in the LMS's gradebook (AGS results then show it). */
  setLineItemGrade(lineItemId: string, sub: string, score: number): ResultRecord;
  /**
   * The learner's course total as Moodle's natural aggregation with "exclude empty grades"
   * computes it: the sum of the grades of every grade item (AGS line items included) that
   * has a grade for the learner, over the sum of those items' maximums.
   */
  courseTotal(courseId: string, sub: string): { grade: number; max: number };
  /** The tool's login initiation request for a launch (URL, or URL + form for POST). */
  initiateLaunch(options: LaunchOptions): { url: string; form?: Record<string, string> };
  /** Makes the next `count` requests to paths matching `pattern` answer `status`. */
  failNext(pattern: RegExp, status: number, count?: number, retryAfter?: string): void;
  /** Forgets every access token issued (the next service call gets a 401). */
  revokeTokens(): void;
  /** New signing key; the old one stays in the JWKS until `dropOldKeys`. */
  rotateKey(): Promise<void>;
  close(): Promise<void>;
}

const escapeHtml = (value: string) =>
  value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * The OIDC form_post page: submitted by a script the sandbox serves itself (no inline
 * script, so it runs under Sello's Content-Security-Policy when mounted as the demo).
 */
function autoPostForm(baseUrl: string, action: string, fields: Record<string, string>): string {
  const inputs = Object.entries(fields)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('');
  return `<!doctype html><html><body><form method="post" action="${escapeHtml(action)}">${inputs}<noscript><button type="submit">Continue</button></noscript></form><script src="${escapeHtml(baseUrl)}/auto-post.js"></script></body></html>`;
}

const isoTimestamp = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const activityValues = ['Initialized', 'Started', 'InProgress', 'Submitted', 'Completed'];
const gradingValues = ['FullyGraded', 'Pending', 'PendingManual', 'Failed', 'NotReady'];

class SandboxError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code = 'invalid_request',
  ) {
    super(message);
  }
}

export interface SandboxLmsOptions {
  productFamily?: 'moodle' | 'canvas';
  pageSize?: number;
  /** Where the LMS sends the instructor after a Deep Linking return (the course page); a short page otherwise. */
  deepLinkDoneUrl?: (courseId: string) => string;
}

/**
 * A sandbox LMS answering at `url` (its issuer too), as an express app that does not
 * listen: Sello's demo mounts it under `/demo/lms`; `startSandboxLms` gives it a port.
 * `close()` of the result closes nothing (the caller owns the server).
 */
export async function createSandboxLms(
  options: SandboxLmsOptions & { url: string },
): Promise<{ sandbox: Sandbox; app: express.Express }> {
  const app = express();
  const url = options.url.replace(/\/+$/, '');
  const issuer = url;
  const productFamily = options.productFamily ?? 'moodle';

  let keys: Array<{ kid: string; privateKey: Awaited<ReturnType<typeof generateKeyPair>>["privateKey"]; jwk: JWK }> = [];
  const addKey = async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    const kid = crypto.randomBytes(8).toString('hex');
    keys.push({ kid, privateKey: pair.privateKey, jwk: { ...(await exportJWK(pair.publicKey)), kid, alg: 'RS256', use: 'sig' } });
  };
  await addKey();
  const foreignKey = (await generateKeyPair('RS256')).privateKey;

  const registrationTokens = new Set<string>();
  const pending = new Map<string, PendingLaunch>();
  const accessTokens = new Map<string, { clientId: string; scopes: string[]; expiresAt: number }>();
  const usedJtis = new Set<string>();
  const usedNonces = new Set<string>();
  const toolJwks = new Map<string, ReturnType<typeof createRemoteJWKSet>>();
  const failures: Array<{ pattern: RegExp; status: number; count: number; retryAfter?: string }> = [];
  // Roster changes per course (sub → when), for NRPS `differences`; removed members stay as Deleted.
  const memberChanges = new Map<string, Map<string, { at: number; deleted: boolean }>>();
  const changeOf = (courseId: string) => memberChanges.get(courseId) ?? memberChanges.set(courseId, new Map()).get(courseId)!;
  let lastChange = 0;
  // Strictly increasing, so a change in the same millisecond as a roster read is still after it.
  const changeTime = () => (lastChange = Math.max(Date.now(), lastChange + 1));

  const sandbox: Sandbox = {
    url,
    issuer,
    users: new Map(),
    courses: new Map(),
    registrations: new Map(),
    lineItems: new Map(),
    results: new Map(),
    scores: [],
    gradeItems: new Map(),
    deepLinkReturns: [],
    log: [],
    tokensIssued: 0,
    pageSize: options.pageSize ?? 2,
    linkOrigin: null,
    newRegistrationToken() {
      const token = crypto.randomBytes(16).toString('hex');
      registrationTokens.add(token);
      return token;
    },
    openIdConfigurationUrl() {
      return `${url}/mod/lti/openid-configuration.php`;
    },
    registerToolManually(tool) {
      const registration: ToolRegistration = {
        clientId: tool.clientId ?? crypto.randomBytes(8).toString('hex'),
        deploymentId: tool.deploymentId ?? String(sandbox.registrations.size + 1),
        initiateLoginUri: tool.loginUrl,
        redirectUris: [tool.launchUrl],
        jwksUri: tool.jwksUrl,
        scopes: Object.values(SCOPES),
        targetLinkUri: tool.launchUrl,
        body: {},
      };
      sandbox.registrations.set(registration.clientId, registration);
      return registration;
    },
    addUser(user) {
      const full: SandboxUser = {
        name: user.name ?? `User ${user.sub}`,
        givenName: user.givenName ?? 'User',
        familyName: user.familyName ?? user.sub,
        email: user.email ?? `${user.sub}@lms.example`,
        locale: user.locale ?? 'en',
        sub: user.sub,
      };
      sandbox.users.set(user.sub, full);
      return full;
    },
    addCourse(course) {
      const full: SandboxCourse = { id: course.id, title: course.title, label: course.label ?? course.id, members: new Map() };
      sandbox.courses.set(course.id, full);
      return full;
    },
    enroll(courseId, sub, roles) {
      sandbox.courses.get(courseId)!.members.set(sub, roles);
      changeOf(courseId).set(sub, { at: changeTime(), deleted: false });
    },
    unenroll(courseId, sub) {
      sandbox.courses.get(courseId)!.members.delete(sub);
      changeOf(courseId).set(sub, { at: changeTime(), deleted: true });
    },
    addGradeItem(item) {
      sandbox.gradeItems.set(item.id, { ...item, grades: new Map() });
    },
    setGrade(itemId, sub, grade) {
      sandbox.gradeItems.get(itemId)!.grades.set(sub, grade);
    },
    addLineItem(item) {
      const id = `${url}/courses/${item.courseId}/lineitems/${sandbox.lineItems.size + 1}`;
      const record: LineItemRecord = { id, ...item };
      sandbox.lineItems.set(id, record);
      return record;
    },
    setLineItemGrade(lineItemId, sub, score) {
      const item = sandbox.lineItems.get(lineItemId);
      if (!item) throw new Error(`no line item ${lineItemId}`);
      if (!(score >= 0 && score <= item.scoreMaximum)) throw new Error(`a grade must be between 0 and ${item.scoreMaximum}`);
      const now = Date.now();
      const result: ResultRecord = {
        id: `${item.id}/results/${encodeURIComponent(sub)}`,
        scoreOf: item.id,
        userId: sub,
        resultScore: score,
        resultMaximum: item.scoreMaximum,
        timestamp: new Date(now).toISOString(),
        timeModified: now,
        activityProgress: 'Completed',
        gradingProgress: 'FullyGraded',
        extensions: {},
      };
      sandbox.results.set(result.id, result);
      sandbox.scores.push(result);
      return result;
    },
    courseTotal(courseId, sub) {
      const graded: Array<{ grade: number; max: number }> = [];
      for (const item of sandbox.gradeItems.values()) {
        const grade = item.grades.get(sub);
        if (item.courseId === courseId && grade !== undefined) graded.push({ grade, max: item.max });
      }
      for (const item of sandbox.lineItems.values()) {
        const result = sandbox.results.get(`${item.id}/results/${encodeURIComponent(sub)}`);
        // An empty grade (a score without scoreGiven) counts in no total.
        if (item.courseId === courseId && result?.resultScore !== undefined) graded.push({ grade: result.resultScore, max: item.scoreMaximum });
      }
      return { grade: graded.reduce((sum, g) => sum + g.grade, 0), max: graded.reduce((sum, g) => sum + g.max, 0) };
    },
    initiateLaunch(launch) {
      const registration = sandbox.registrations.get(launch.clientId);
      if (!registration) throw new Error(`no registration ${launch.clientId}`);
      const id = crypto.randomBytes(8).toString('hex');
      pending.set(id, { ...launch, id });
      const params: Record<string, string> = {
        iss: issuer,
        login_hint: launch.userSub,
        target_link_uri: registration.targetLinkUri,
        lti_message_hint: id,
        client_id: registration.clientId,
        lti_deployment_id: registration.deploymentId,
      };
      if (launch.storageTarget) params.lti_storage_target = launch.storageTarget;
      if (launch.post) return { url: registration.initiateLoginUri, form: params };
      return { url: `${registration.initiateLoginUri}?${new URLSearchParams(params)}` };
    },
    failNext(pattern, status, count = 1, retryAfter) {
      failures.push({ pattern, status, count, retryAfter });
    },
    revokeTokens() {
      accessTokens.clear();
    },
    async rotateKey() {
      await addKey();
      keys = keys.slice(-1).concat(keys.slice(0, -1));
    },
    async close() {},
  };
  const signingKey = () => keys[0]!;

  app.use((req, res, next) => {
    res.on('finish', () => {
      sandbox.log.push({ method: req.method, path: req.path, status: res.statusCode });
      // Mounted as Sello's demo the LMS runs for weeks: the log keeps the recent requests only.
      if (sandbox.log.length > 20_000) sandbox.log.splice(0, 10_000);
    });
    const failure = failures.find((f) => f.pattern.test(req.path) && f.count > 0);
    if (failure) {
      failure.count -= 1;
      if (failure.retryAfter) res.set('retry-after', failure.retryAfter);
      res.status(failure.status).json({ error: 'injected failure' });
      return;
    }
    next();
  });
  app.use(express.json({ type: ['application/json', 'application/*+json'] }));
  app.use(express.urlencoded({ extended: false }));

  const fail = (status: number, message: string, code?: string): never => {
    throw new SandboxError(status, message, code);
  };
  const wrap =
    (handler: (req: Request, res: Response) => Promise<void> | void) =>
    (req: Request, res: Response, next: NextFunction) =>
      Promise.resolve(handler(req, res)).catch(next);

  // ---- keys and discovery -------------------------------------------------------
  app.get('/jwks', (_req, res) => {
    res.json({ keys: keys.map((k) => k.jwk) });
  });

  app.get(
    '/mod/lti/openid-configuration.php',
    wrap((req, res) => {
      // Moodle answers 401 without the registration token.
      const token = /^Bearer (.+)$/.exec(req.get('authorization') ?? '')?.[1];
      if (!token || !registrationTokens.has(token)) fail(401, 'registration token required', 'unauthorized');
      res.json({
        issuer,
        authorization_endpoint: `${url}/auth`,
        token_endpoint: `${url}/token`,
        jwks_uri: `${url}/jwks`,
        registration_endpoint: `${url}/register`,
        token_endpoint_auth_methods_supported: ['private_key_jwt'],
        token_endpoint_auth_signing_alg_values_supported: ['RS256'],
        scopes_supported: ['openid', ...Object.values(SCOPES)],
        response_types_supported: ['id_token'],
        subject_types_supported: ['public', 'pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        claims_supported: ['sub', 'iss', 'name', 'given_name', 'family_name', 'email'],
        'https://purl.imsglobal.org/spec/lti-platform-configuration': {
          product_family_code: productFamily,
          version: productFamily === 'moodle' ? '4.5' : 'cloud',
          messages_supported: [{ type: 'LtiResourceLinkRequest' }, { type: 'LtiDeepLinkingRequest' }],
        },
      });
    }),
  );

  app.post(
    '/register',
    wrap((req, res) => {
      const token = /^Bearer (.+)$/.exec(req.get('authorization') ?? '')?.[1];
      if (!token || !registrationTokens.has(token)) fail(401, 'registration token required', 'unauthorized');
      const body = req.body as Record<string, unknown>;
      const config = body[TOOL_CONFIG] as Record<string, unknown> | undefined;
      const problems: string[] = [];
      if (body.application_type !== 'web') problems.push('application_type must be web');
      if (!Array.isArray(body.response_types) || !body.response_types.includes('id_token')) problems.push('response_types');
      if (!Array.isArray(body.grant_types) || !body.grant_types.includes('implicit') || !body.grant_types.includes('client_credentials')) {
        problems.push('grant_types');
      }
      if (body.token_endpoint_auth_method !== 'private_key_jwt') problems.push('token_endpoint_auth_method');
      for (const field of ['initiate_login_uri', 'jwks_uri', 'client_name']) if (typeof body[field] !== 'string') problems.push(field);
      if (!Array.isArray(body.redirect_uris) || body.redirect_uris.length === 0) problems.push('redirect_uris');
      if (!config || typeof config.domain !== 'string' || typeof config.target_link_uri !== 'string') problems.push(TOOL_CONFIG);
      const messages = (config?.messages as Array<{ type: string }> | undefined) ?? [];
      if (!messages.some((m) => m.type === 'LtiDeepLinkingRequest')) problems.push('messages: LtiDeepLinkingRequest');
      if (config && typeof config.domain === 'string') {
        for (const uri of [body.initiate_login_uri, body.jwks_uri, config.target_link_uri, ...((body.redirect_uris as string[]) ?? [])]) {
          if (typeof uri === 'string' && new URL(uri).host !== config.domain) problems.push(`${uri} is outside domain ${config.domain}`);
        }
      }
      if (problems.length > 0) fail(400, `invalid registration: ${problems.join(', ')}`);
      const scopes = String(body.scope ?? '').split(' ').filter(Boolean);
      const unsupported = scopes.filter((s) => !Object.values(SCOPES).includes(s));
      // Canvas refuses scopes it does not offer with 422.
      if (unsupported.length > 0) fail(422, `unsupported scopes: ${unsupported.join(' ')}`);
      registrationTokens.delete(token!);
      const registration: ToolRegistration = {
        clientId: crypto.randomBytes(8).toString('hex'),
        deploymentId: String(sandbox.registrations.size + 1),
        initiateLoginUri: String(body.initiate_login_uri),
        redirectUris: body.redirect_uris as string[],
        jwksUri: String(body.jwks_uri),
        scopes,
        targetLinkUri: String(config!.target_link_uri),
        body,
      };
      sandbox.registrations.set(registration.clientId, registration);
      res.json({ ...body, client_id: registration.clientId, [TOOL_CONFIG]: { ...config, deployment_id: registration.deploymentId } });
    }),
  );

  // ---- Course page with the tool in an iframe, and LTI platform storage -------------
  // https://www.imsglobal.org/spec/lti-cs-pm/v0p1 : a sibling frame named by
  // lti_storage_target answers lti.put_data / lti.get_data for the tool's frame.
  app.get('/course-page', (req, res) => {
    const launch = String(req.query.launch ?? '');
    res
      .type('html')
      .send(
        `<!doctype html><html><body><h1>Course</h1><iframe name="lti-storage" src="${escapeHtml(url)}/storage-frame" hidden></iframe>` +
          `<iframe name="tool" id="tool" src="${escapeHtml(launch)}" width="900" height="700"></iframe></body></html>`,
      );
  });
  app.get('/storage-frame', (_req, res) => {
    res.type('html').send(`<!doctype html><script src="${escapeHtml(url)}/storage-frame.js"></script>`);
  });
  app.get('/storage-frame.js', (_req, res) => {
    res.type('text/javascript').send(`var store = {};
window.addEventListener('message', function (event) {
  var m = event.data || {};
  if (m.subject === 'lti.put_data') {
    store[event.origin + ' ' + m.key] = m.value;
    event.source.postMessage({ subject: 'lti.put_data.response', message_id: m.message_id, key: m.key, value: m.value }, event.origin);
  } else if (m.subject === 'lti.get_data') {
    event.source.postMessage({ subject: 'lti.get_data.response', message_id: m.message_id, key: m.key, value: store[event.origin + ' ' + m.key] }, event.origin);
  }
});
`);
  });
  app.get('/auto-post.js', (_req, res) => {
    res.type('text/javascript').send('document.forms[0].submit();\n');
  });

  // ---- OIDC launch ----------------------------------------------------------------
  app.all(
    '/auth',
    wrap(async (req, res) => {
      const p = { ...(req.query as Record<string, string>), ...((req.body as Record<string, string>) ?? {}) };
      if (p.scope !== 'openid' || p.response_type !== 'id_token' || p.response_mode !== 'form_post' || p.prompt !== 'none') {
        fail(400, 'bad OIDC authentication request parameters');
      }
      if (!p.nonce || !p.state) fail(400, 'nonce and state are required');
      const registration = sandbox.registrations.get(p.client_id ?? '') ?? fail(400, 'unknown client_id');
      if (!registration.redirectUris.includes(p.redirect_uri ?? '')) fail(400, 'redirect_uri not registered');
      const launch = pending.get(p.lti_message_hint ?? '') ?? fail(400, 'unknown lti_message_hint');
      if (launch.userSub !== p.login_hint) fail(400, 'login_hint does not match');
      // Moodle keeps the launch in the user's session and forgets it once used; Canvas's
      // hint is a signed token that stays valid for a few minutes.
      if (productFamily === 'moodle') pending.delete(launch.id);
      const user = sandbox.users.get(launch.userSub)!;
      const course = sandbox.courses.get(launch.courseId)!;
      const roles = course.members.get(user.sub) ?? [];
      const messageType = launch.messageType ?? 'LtiResourceLinkRequest';
      const now = Math.floor(Date.now() / 1000);
      const claims: Record<string, unknown> = {
        iss: issuer,
        aud: registration.clientId,
        azp: registration.clientId,
        sub: user.sub,
        iat: now,
        exp: now + 300,
        nonce: p.nonce,
        name: user.name,
        given_name: user.givenName,
        family_name: user.familyName,
        email: user.email,
        locale: user.locale,
        [`${LTI}message_type`]: messageType,
        [`${LTI}version`]: '1.3.0',
        [`${LTI}deployment_id`]: registration.deploymentId,
        [`${LTI}target_link_uri`]: registration.targetLinkUri,
        [`${LTI}roles`]: roles,
        [`${LTI}context`]: { id: course.id, label: course.label, title: course.title, type: ['http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering'] },
        [`${LTI}tool_platform`]: { guid: 'sandbox', product_family_code: productFamily, name: 'Sandbox LMS' },
        [`${LTI}launch_presentation`]: { document_target: 'iframe', locale: user.locale, return_url: `${url}/course/${course.id}` },
        [`${LTI}custom`]: launch.custom ?? {},
        [AGS_CLAIM]: {
          scope: registration.scopes.filter((s) => s.includes('lti-ags')),
          lineitems: `${url}/courses/${course.id}/lineitems`,
          ...(launch.resourceLinkId
            ? (() => {
                const item = [...sandbox.lineItems.values()].find((li) => li.courseId === course.id && li.resourceLinkId === launch.resourceLinkId);
                return item ? { lineitem: item.id } : {};
              })()
            : {}),
        },
        [NRPS_CLAIM]: { context_memberships_url: `${url}/courses/${course.id}/memberships`, service_versions: ['2.0'] },
      };
      if (messageType === 'LtiResourceLinkRequest') {
        claims[`${LTI}resource_link`] = { id: launch.resourceLinkId ?? `rl-${course.id}`, title: 'Badge' };
      } else {
        claims[DL_SETTINGS] = {
          deep_link_return_url: `${url}/deep-link-return?course=${encodeURIComponent(course.id)}`,
          accept_types: ['ltiResourceLink'],
          accept_presentation_document_targets: ['iframe', 'window'],
          accept_multiple: false,
          auto_create: true,
          data: `dl-${course.id}`,
        };
      }
      const header: { alg: string; kid?: string } = { alg: 'RS256', kid: signingKey().kid };
      const mode = launch.tamper?.(claims, header);
      let idToken: string;
      if (mode === 'unsigned' || header.alg === 'none') {
        const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
        idToken = `${enc({ alg: 'none', typ: 'JWT' })}.${enc(claims)}.`;
      } else {
        idToken = await new SignJWT(claims)
          .setProtectedHeader({ alg: header.alg, kid: header.kid, typ: 'JWT' })
          .sign(mode === 'foreign-key' ? foreignKey : signingKey().privateKey);
      }
      res.type('html').send(autoPostForm(url, p.redirect_uri!, { id_token: idToken, state: p.state! }));
    }),
  );

  // ---- Deep Linking return --------------------------------------------------------
  const jwksOf = (registration: ToolRegistration) => {
    let set = toolJwks.get(registration.clientId);
    if (!set) {
      set = createRemoteJWKSet(new URL(registration.jwksUri), { cacheMaxAge: 0, cooldownDuration: 0 });
      toolJwks.set(registration.clientId, set);
    }
    return set;
  };

  app.post(
    '/deep-link-return',
    wrap(async (req, res) => {
      const jwt = (req.body as Record<string, string>).JWT ?? fail(400, 'JWT form field missing');
      const unverified = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8') || '{}') as Record<string, unknown>;
      const registration = sandbox.registrations.get(String(unverified.iss)) ?? fail(400, 'unknown tool (iss must be the client_id)');
      let payload: Record<string, unknown>;
      try {
        payload = (await jwtVerify(jwt, jwksOf(registration), { issuer: registration.clientId, audience: issuer, algorithms: ['RS256'] }))
          .payload as Record<string, unknown>;
      } catch (error) {
        fail(400, `deep linking response rejected: ${(error as Error).message}`);
      }
      if (payload![`${LTI}message_type`] !== 'LtiDeepLinkingResponse') fail(400, 'message_type must be LtiDeepLinkingResponse');
      if (payload![`${LTI}version`] !== '1.3.0') fail(400, 'version must be 1.3.0');
      if (payload![`${LTI}deployment_id`] !== registration.deploymentId) fail(400, 'deployment_id does not match');
      if (typeof payload!.nonce !== 'string' || usedNonces.has(payload!.nonce)) fail(400, 'nonce missing or reused');
      usedNonces.add(String(payload!.nonce));
      const courseId = String(req.query.course ?? '');
      if (payload![DL_DATA] !== `dl-${courseId}`) fail(400, 'data claim must be echoed unchanged');
      const items = (payload![DL_ITEMS] as Array<Record<string, unknown>>) ?? fail(400, 'content_items missing');
      if (items.length > 1) fail(400, 'accept_multiple was false');
      for (const item of items) {
        if (item.type !== 'ltiResourceLink') fail(400, `content item type ${String(item.type)} not accepted`);
        const lineItem = item.lineItem as { label?: string; scoreMaximum?: number; resourceId?: string; tag?: string } | undefined;
        const resourceLinkId = `rl-${crypto.randomBytes(4).toString('hex')}`;
        if (lineItem) {
          if (!(typeof lineItem.scoreMaximum === 'number' && lineItem.scoreMaximum > 0)) fail(400, 'lineItem.scoreMaximum must be > 0');
          if (!lineItem.label) fail(400, 'lineItem.label is required');
          const id = `${url}/courses/${courseId}/lineitems/${sandbox.lineItems.size + 1}`;
          sandbox.lineItems.set(id, {
            id,
            courseId,
            label: lineItem.label!,
            scoreMaximum: lineItem.scoreMaximum!,
            resourceId: lineItem.resourceId,
            tag: lineItem.tag,
            resourceLinkId,
          });
        }
        item.resourceLinkId = resourceLinkId;
      }
      sandbox.deepLinkReturns.push({
        clientId: registration.clientId,
        courseId,
        items,
        message: payload!['https://purl.imsglobal.org/spec/lti-dl/claim/msg'] as string | undefined,
      });
      if (options.deepLinkDoneUrl) res.redirect(303, options.deepLinkDoneUrl(courseId));
      else res.type('html').send('<!doctype html><p>Content added to the course.</p>');
    }),
  );

  // ---- OAuth 2 client credentials --------------------------------------------------
  app.post(
    '/token',
    wrap(async (req, res) => {
      const body = req.body as Record<string, string>;
      if (body.grant_type !== 'client_credentials') fail(400, 'unsupported_grant_type', 'unsupported_grant_type');
      if (body.client_assertion_type !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') fail(400, 'invalid_client', 'invalid_client');
      const assertion = body.client_assertion ?? fail(400, 'invalid_client', 'invalid_client');
      const unverified = JSON.parse(Buffer.from(assertion.split('.')[1] ?? '', 'base64url').toString('utf8') || '{}') as Record<string, unknown>;
      const registration = sandbox.registrations.get(String(unverified.sub)) ?? fail(401, 'invalid_client', 'invalid_client');
      let payload: Record<string, unknown>;
      try {
        payload = (await jwtVerify(assertion, jwksOf(registration), { issuer: registration.clientId, subject: registration.clientId, audience: `${url}/token`, algorithms: ['RS256'] }))
          .payload as Record<string, unknown>;
      } catch {
        fail(401, 'invalid_client', 'invalid_client');
      }
      if (typeof payload!.jti !== 'string' || usedJtis.has(payload!.jti)) fail(401, 'invalid_client (jti reused)', 'invalid_client');
      usedJtis.add(String(payload!.jti));
      const scopes = String(body.scope ?? '').split(' ').filter(Boolean);
      if (scopes.length === 0 || scopes.some((s) => !registration.scopes.includes(s))) fail(400, 'invalid_scope', 'invalid_scope');
      const token = crypto.randomBytes(16).toString('hex');
      accessTokens.set(token, { clientId: registration.clientId, scopes, expiresAt: Date.now() + 3600_000 });
      sandbox.tokensIssued += 1;
      res.json({ access_token: token, token_type: 'bearer', expires_in: 3600, scope: scopes.join(' ') });
    }),
  );

  const authorize = (req: Request, ...anyOf: string[]) => {
    const token = /^Bearer (.+)$/i.exec(req.get('authorization') ?? '')?.[1];
    const grant = token ? accessTokens.get(token) : undefined;
    if (!grant || grant.expiresAt < Date.now()) fail(401, 'invalid or expired access token', 'unauthorized');
    if (!anyOf.some((scope) => grant!.scopes.includes(scope))) fail(403, 'scope not granted', 'forbidden');
    return grant!;
  };

  const page = <T>(req: Request, res: Response, all: T[], extraLinks: string[] = []): T[] => {
    const limit = Math.min(Number(req.query.limit ?? sandbox.pageSize) || sandbox.pageSize, 100);
    const offset = Number(req.query.page ?? 0) * limit;
    const links = [...extraLinks];
    if (offset + limit < all.length) {
      const next = new URL(`${sandbox.linkOrigin ?? url}${req.url}`);
      next.searchParams.set('page', String(Number(req.query.page ?? 0) + 1));
      next.searchParams.set('limit', String(limit));
      links.push(`<${next.href}>; rel="next"`);
    }
    if (links.length > 0) res.set('link', links.join(', '));
    return all.slice(offset, offset + limit);
  };

  // ---- AGS --------------------------------------------------------------------------
  const courseOf = (req: Request) => sandbox.courses.get(String(req.params.course)) ?? fail(404, 'no such course', 'not_found');

  app.get(
    '/courses/:course/lineitems',
    wrap((req, res) => {
      authorize(req, SCOPES.lineItem, SCOPES.lineItemReadonly);
      const course = courseOf(req);
      const all = [...sandbox.lineItems.values()].filter(
        (li) =>
          li.courseId === course.id &&
          (!req.query.resource_id || li.resourceId === req.query.resource_id) &&
          (!req.query.resource_link_id || li.resourceLinkId === req.query.resource_link_id) &&
          (!req.query.tag || li.tag === req.query.tag),
      );
      const shown = page(req, res, all).map(({ courseId: _c, ...li }) => li);
      res.type('application/vnd.ims.lis.v2.lineitemcontainer+json').send(JSON.stringify(shown));
    }),
  );

  app.post(
    '/courses/:course/lineitems',
    wrap((req, res) => {
      authorize(req, SCOPES.lineItem);
      const course = courseOf(req);
      if (!req.is('application/vnd.ims.lis.v2.lineitem+json')) fail(415, 'content type must be application/vnd.ims.lis.v2.lineitem+json');
      const body = req.body as Partial<LineItemRecord>;
      if (!body.label || !(typeof body.scoreMaximum === 'number' && body.scoreMaximum > 0)) fail(400, 'label and scoreMaximum > 0 are required');
      const id = `${url}/courses/${course.id}/lineitems/${sandbox.lineItems.size + 1}`;
      const item: LineItemRecord = { id, courseId: course.id, label: body.label!, scoreMaximum: body.scoreMaximum!, resourceId: body.resourceId, tag: body.tag, resourceLinkId: body.resourceLinkId };
      sandbox.lineItems.set(id, item);
      const { courseId: _c, ...shown } = item;
      res.status(201).type('application/vnd.ims.lis.v2.lineitem+json').send(JSON.stringify(shown));
    }),
  );

  const lineItemOf = (req: Request) => {
    const course = courseOf(req);
    return sandbox.lineItems.get(`${url}/courses/${course.id}/lineitems/${req.params.item}`) ?? fail(404, 'no such line item', 'not_found');
  };

  app.post(
    '/courses/:course/lineitems/:item/scores',
    wrap((req, res) => {
      authorize(req, SCOPES.score);
      const item = lineItemOf(req);
      if (!req.is('application/vnd.ims.lis.v1.score+json')) fail(415, 'content type must be application/vnd.ims.lis.v1.score+json');
      const s = req.body as Record<string, unknown>;
      const course = sandbox.courses.get(item.courseId)!;
      // Moodle's rules (mod/lti/service/gradebookservices): enrolled userId, ISO-8601
      // timestamp, scoreMaximum beside scoreGiven, both progress values.
      if (typeof s.userId !== 'string' || !course.members.has(s.userId)) fail(400, 'userId is not enrolled in the course');
      if (typeof s.timestamp !== 'string' || !isoTimestamp.test(s.timestamp)) fail(400, 'timestamp must be ISO-8601');
      if (s.scoreGiven !== undefined && (typeof s.scoreMaximum !== 'number' || typeof s.scoreGiven !== 'number' || s.scoreGiven < 0 || s.scoreMaximum <= 0)) {
        fail(400, 'scoreGiven needs a numeric scoreMaximum');
      }
      if (!activityValues.includes(String(s.activityProgress)) || !gradingValues.includes(String(s.gradingProgress))) {
        fail(400, 'activityProgress and gradingProgress are required');
      }
      const resultId = `${item.id}/results/${encodeURIComponent(String(s.userId))}`;
      const previous = sandbox.results.get(resultId);
      // Moodle (scores.php): "Refusing score with an earlier timestamp" when the grade's
      // timemodified >= the score's timestamp, so the very same score twice is refused too.
      if (previous?.timeModified !== undefined && previous.timeModified >= Date.parse(String(s.timestamp))) {
        fail(409, 'Refusing score with an earlier timestamp');
      }
      // Moodle (save_grade_item): with scoreGiven the grade's timemodified is the score's
      // timestamp; without it the grade is empty and timemodified becomes "now" when the
      // feedback changed (grade_item::update_raw_grade / update_final_grade).
      const comment = typeof s.comment === 'string' && s.comment !== '' ? s.comment : undefined;
      const timeModified =
        s.scoreGiven !== undefined
          ? Date.parse(String(s.timestamp))
          : !previous || previous.comment !== comment || previous.resultScore !== undefined
            ? Date.now()
            : previous.timeModified;
      const extensions: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(s)) if (key.startsWith('https://')) extensions[key] = value;
      const result: ResultRecord = {
        id: resultId,
        scoreOf: item.id,
        userId: String(s.userId),
        resultScore: s.scoreGiven === undefined ? undefined : (s.scoreGiven as number) * (item.scoreMaximum / (s.scoreMaximum as number)),
        resultMaximum: s.scoreGiven === undefined ? undefined : item.scoreMaximum,
        comment,
        timestamp: String(s.timestamp),
        timeModified,
        activityProgress: String(s.activityProgress),
        gradingProgress: String(s.gradingProgress),
        extensions,
      };
      sandbox.results.set(resultId, result);
      sandbox.scores.push(result);
      res.status(204).end();
    }),
  );

  app.delete(
    '/courses/:course/lineitems/:item',
    wrap((req, res) => {
      authorize(req, SCOPES.lineItem);
      const item = lineItemOf(req);
      sandbox.lineItems.delete(item.id);
      for (const [id, result] of sandbox.results) if (result.scoreOf === item.id) sandbox.results.delete(id);
      res.status(204).end();
    }),
  );

  app.get(
    '/courses/:course/lineitems/:item/results',
    wrap((req, res) => {
      authorize(req, SCOPES.result);
      const item = lineItemOf(req);
      const all = [...sandbox.results.values()]
        .filter((r) => r.scoreOf === item.id && (!req.query.user_id || r.userId === req.query.user_id))
        // Moodle (result_for_json) shows the score, maximum and comment only of a non-empty grade.
        .map((r) =>
          r.resultScore === undefined
            ? { id: r.id, userId: r.userId }
            : { id: r.id, scoreOf: r.scoreOf, userId: r.userId, resultScore: r.resultScore, resultMaximum: r.resultMaximum, comment: r.comment },
        );
      res.type('application/vnd.ims.lis.v2.resultcontainer+json').send(JSON.stringify(page(req, res, all)));
    }),
  );

  // ---- NRPS -------------------------------------------------------------------------
  app.get(
    '/courses/:course/memberships',
    wrap((req, res) => {
      authorize(req, SCOPES.nrps);
      const course = courseOf(req);
      if (!String(req.get('accept') ?? '').includes('application/vnd.ims.lti-nrps.v2.membershipcontainer+json')) {
        fail(406, 'accept application/vnd.ims.lti-nrps.v2.membershipcontainer+json');
      }
      const since = req.query.since === undefined ? null : Number(req.query.since);
      const changes = changeOf(course.id);
      const member = (sub: string, roles: string[], status: 'Active' | 'Deleted') => {
        const user = sandbox.users.get(sub)!;
        return { status, user_id: sub, roles, name: user.name, given_name: user.givenName, family_name: user.familyName, email: user.email };
      };
      // `since`: only the members changed after that time, removed ones as Deleted.
      const members =
        since === null
          ? [...course.members.entries()].map(([sub, roles]) => member(sub, roles, 'Active'))
          : [...changes.entries()]
              .filter(([, change]) => change.at > since)
              .map(([sub, change]) => member(sub, course.members.get(sub) ?? [], change.deleted ? 'Deleted' : 'Active'));
      const differences = `<${sandbox.linkOrigin ?? url}/courses/${course.id}/memberships?since=${lastChange}>; rel="differences"`;
      const shown = page(req, res, members);
      const isLast = !(res.get('link') ?? '').includes('rel="next"');
      if (isLast) res.set('link', [res.get('link'), differences].filter(Boolean).join(', '));
      res
        .type('application/vnd.ims.lti-nrps.v2.membershipcontainer+json')
        .send(JSON.stringify({ id: `${url}${req.url}`, context: { id: course.id, label: course.label, title: course.title }, members: shown }));
    }),
  );

  // Answered here, mounted or not: a request the LMS does not know never reaches Sello's routes.
  app.use((_req, _res, next) => next(new SandboxError(404, 'no such endpoint', 'not_found')));
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (error instanceof SandboxError) res.status(error.status).json({ error: error.code, error_description: error.message });
    else res.status(500).json({ error: 'server_error', error_description: (error as Error).message });
  });

  return { sandbox, app };
}

/** A sandbox LMS on its own ephemeral port (tests, benchmarks). */
export async function startSandboxLms(
  options: SandboxLmsOptions & {
    /** `localhost` puts the LMS on another site than a Sello on 127.0.0.1 (browser tests). */
    hostname?: '127.0.0.1' | 'localhost';
  } = {},
): Promise<Sandbox> {
  let handler: http.RequestListener = (_req, res) => {
    res.statusCode = 503;
    res.end();
  };
  const server = http.createServer((req, res) => handler(req, res));
  const hostname = options.hostname ?? '127.0.0.1';
  // `localhost` may resolve to ::1 or 127.0.0.1: listen on both then.
  await new Promise<void>((resolve) => (hostname === 'localhost' ? server.listen(0, () => resolve()) : server.listen(0, '127.0.0.1', () => resolve())));
  const { sandbox, app } = await createSandboxLms({ ...options, url: `http://${hostname}:${(server.address() as AddressInfo).port}` });
  handler = app;
  sandbox.close = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return sandbox;
}
