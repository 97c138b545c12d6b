import type { Queryable } from './database.ts';

/** One successful LTI launch: the session behind an ltik for the rest of the visit. */
export interface LtiLaunch {
  id: string;
  /** The OIDC state of the launch; ltijs writes it into the ltik (`s`). */
  state: string;
  platformId: string;
  deploymentId: string;
  contextId: string | null;
  userId: string;
  roles: string[];
  locale: 'en' | 'es';
  messageType: 'LtiResourceLinkRequest' | 'LtiDeepLinkingRequest';
  resourceLinkId: string | null;
  /** The Deep Linking settings claim, for Deep Linking launches. */
  deepLinking: { deep_link_return_url: string; accept_types?: string[]; accept_multiple?: boolean | string; data?: string } | null;
  custom: Record<string, unknown>;
  createdAt: Date;
  expiresAt: Date;
}

/** An OIDC login request, kept while its launch may still need a cookie fallback. */
export interface LtiLogin {
  state: string;
  iss: string;
  params: Record<string, string>;
  storageTarget: string | null;
  storageSecret: string;
  createdAt: Date;
}

const launchColumns = `id, state, platform_id AS "platformId", deployment_id AS "deploymentId", context_id AS "contextId",
  user_id AS "userId", roles, locale, message_type AS "messageType", resource_link_id AS "resourceLinkId",
  deep_linking AS "deepLinking", custom, created_at AS "createdAt", expires_at AS "expiresAt"`;

/** What a session check needs of the launch's platform. */
export interface LaunchPlatform {
  iss: string;
  clientId: string;
  status: 'pending' | 'active' | 'disabled';
}

export interface LtiLaunchRepository {
  record(launch: Omit<LtiLaunch, 'id' | 'createdAt'>): Promise<LtiLaunch>;
  /** The unexpired launch with that state, or null. */
  findByState(state: string): Promise<LtiLaunch | null>;
  /**
   * The unexpired launch with that state and what its platform is now (null when the
   * platform is gone), in one query: every page opened with an ltik checks both.
   */
  findSessionByState(state: string): Promise<(LtiLaunch & { platform: LaunchPlatform | null }) | null>;
  /** The language the person chose for the rest of this session (a new launch starts from the LMS's again). */
  setLocale(state: string, locale: 'en' | 'es'): Promise<void>;
  recordLogin(login: Omit<LtiLogin, 'createdAt'> & { expiresAt: Date }): Promise<void>;
  findLogin(state: string): Promise<LtiLogin | null>;
}

export function createLtiLaunchRepository(db: Queryable): LtiLaunchRepository {
  return {
    async record(l) {
      const { rows } = await db.query<LtiLaunch>(
        `INSERT INTO lti_launches (state, platform_id, deployment_id, context_id, user_id, roles, locale, message_type,
           resource_link_id, deep_linking, custom, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11::jsonb, $12)
         RETURNING ${launchColumns}`,
        [
          l.state,
          l.platformId,
          l.deploymentId,
          l.contextId,
          l.userId,
          l.roles,
          l.locale,
          l.messageType,
          l.resourceLinkId,
          l.deepLinking ? JSON.stringify(l.deepLinking) : null,
          JSON.stringify(l.custom ?? {}),
          l.expiresAt,
        ],
      );
      return rows[0]!;
    },
    async findByState(state) {
      const { rows } = await db.query<LtiLaunch>(`SELECT ${launchColumns} FROM lti_launches WHERE state = $1 AND expires_at > now()`, [
        state,
      ]);
      return rows[0] ?? null;
    },
    async findSessionByState(state) {
      const { rows } = await db.query<LtiLaunch & { platform: LaunchPlatform | null }>(
        `SELECT ${launchColumns},
           (SELECT json_build_object('iss', p.iss, 'clientId', p.client_id, 'status', p.status) FROM platforms p WHERE p.id = l.platform_id) AS platform
         FROM lti_launches l WHERE state = $1 AND expires_at > now()`,
        [state],
      );
      return rows[0] ?? null;
    },
    async setLocale(state, locale) {
      await db.query('UPDATE lti_launches SET locale = $2 WHERE state = $1', [state, locale]);
    },
    async recordLogin(l) {
      await db.query(
        `INSERT INTO lti_logins (state, iss, params, storage_target, storage_secret, expires_at)
         VALUES ($1, $2, $3::jsonb, $4, $5, $6) ON CONFLICT (state) DO NOTHING`,
        [l.state, l.iss, JSON.stringify(l.params), l.storageTarget, l.storageSecret, l.expiresAt],
      );
    },
    async findLogin(state) {
      const { rows } = await db.query<LtiLogin>(
        `SELECT state, iss, params, storage_target AS "storageTarget", storage_secret AS "storageSecret", created_at AS "createdAt"
         FROM lti_logins WHERE state = $1 AND expires_at > now()`,
        [state],
      );
      return rows[0] ?? null;
    },
  };
}
