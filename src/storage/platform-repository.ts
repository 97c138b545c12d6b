import type { Queryable } from './database.ts';

export type PlatformStatus = 'pending' | 'active' | 'disabled';
export type PlatformProduct = 'moodle' | 'canvas' | 'other';

/** An LMS registration (LTI issuer + client id) and where its endpoints are. */
export interface Platform {
  id: string;
  issuerId: string;
  iss: string;
  clientId: string;
  name: string;
  product: PlatformProduct;
  status: PlatformStatus;
  /** Key id of the tool key pair ltijs generated for this platform (its record id there). */
  ltiKid: string | null;
  authUrl: string | null;
  tokenUrl: string | null;
  jwksUrl: string | null;
  registeredVia: 'manual' | 'dynamic' | 'cli';
  deploymentIds: string[];
  createdAt: Date;
  updatedAt: Date;
}

export type PlatformInput = Pick<Platform, 'issuerId' | 'iss' | 'clientId'> &
  Partial<Pick<Platform, 'name' | 'product' | 'status' | 'ltiKid' | 'authUrl' | 'tokenUrl' | 'jwksUrl' | 'registeredVia'>>;

const columns = `p.id, p.issuer_id AS "issuerId", p.iss, p.client_id AS "clientId", p.name, p.product, p.status,
  p.lti_kid AS "ltiKid", p.auth_url AS "authUrl", p.token_url AS "tokenUrl", p.jwks_url AS "jwksUrl",
  p.registered_via AS "registeredVia", p.created_at AS "createdAt", p.updated_at AS "updatedAt",
  COALESCE((SELECT array_agg(d.deployment_id ORDER BY d.created_at) FROM deployments d WHERE d.platform_id = p.id), '{}') AS "deploymentIds"`;

export interface PlatformRepository {
  findById(id: string): Promise<Platform | null>;
  findByIssuerAndClient(iss: string, clientId: string): Promise<Platform | null>;
  list(): Promise<Platform[]>;
  /** Every registration of one LMS issuer (several client ids may share it). */
  listByIssuer(iss: string): Promise<Platform[]>;
  /**
   * Creates the platform only when (iss, client id) is new; null when it exists. Dynamic
   * Registration claims its row this way, so it can never overwrite a known platform.
   */
  insertNew(input: PlatformInput): Promise<Platform | null>;
  /** Creates the platform, or refreshes its endpoints when (iss, client id) exists; status kept unless given. */
  upsert(input: PlatformInput): Promise<Platform>;
  setStatus(id: string, status: PlatformStatus): Promise<Platform | null>;
  /** Renames the platform (its display name in Sello); null when there is no such platform. */
  rename(id: string, name: string): Promise<Platform | null>;
  /** Records a deployment id; true when it was new. */
  addDeployment(platformId: string, deploymentId: string): Promise<boolean>;
  hasDeployment(platformId: string, deploymentId: string): Promise<boolean>;
  delete(id: string): Promise<void>;
}

export function createPlatformRepository(db: Queryable): PlatformRepository {
  const one = async (where: string, params: unknown[]) => {
    const { rows } = await db.query<Platform>(`SELECT ${columns} FROM platforms p WHERE ${where}`, params);
    return rows[0] ?? null;
  };
  return {
    findById: (id) => one('p.id = $1', [id]),
    findByIssuerAndClient: (iss, clientId) => one('p.iss = $1 AND p.client_id = $2', [iss, clientId]),
    async list() {
      const { rows } = await db.query<Platform>(`SELECT ${columns} FROM platforms p ORDER BY p.created_at`);
      return rows;
    },
    async listByIssuer(iss) {
      const { rows } = await db.query<Platform>(`SELECT ${columns} FROM platforms p WHERE p.iss = $1 ORDER BY p.created_at`, [iss]);
      return rows;
    },
    async insertNew(input) {
      const { rows } = await db.query<{ id: string }>(
        `INSERT INTO platforms (issuer_id, iss, client_id, name, product, status, lti_kid, auth_url, token_url, jwks_url, registered_via)
         VALUES ($1, $2, $3, COALESCE($4, ''), COALESCE($5, 'other'), COALESCE($6, 'pending'), $7, $8, $9, $10, COALESCE($11, 'dynamic'))
         ON CONFLICT (iss, client_id) DO NOTHING
         RETURNING id`,
        [
          input.issuerId,
          input.iss,
          input.clientId,
          input.name ?? null,
          input.product ?? null,
          input.status ?? null,
          input.ltiKid ?? null,
          input.authUrl ?? null,
          input.tokenUrl ?? null,
          input.jwksUrl ?? null,
          input.registeredVia ?? null,
        ],
      );
      return rows[0] ? one('p.id = $1', [rows[0].id]) : null;
    },
    async upsert(input) {
      const { rows } = await db.query<{ id: string }>(
        `INSERT INTO platforms (issuer_id, iss, client_id, name, product, status, lti_kid, auth_url, token_url, jwks_url, registered_via)
         VALUES ($1, $2, $3, COALESCE($4, ''), COALESCE($5, 'other'), COALESCE($6, 'active'), $7, $8, $9, $10, COALESCE($11, 'manual'))
         ON CONFLICT (iss, client_id) DO UPDATE SET
           name = COALESCE($4, platforms.name),
           product = COALESCE($5, platforms.product),
           status = COALESCE($6, platforms.status),
           lti_kid = COALESCE($7, platforms.lti_kid),
           auth_url = COALESCE($8, platforms.auth_url),
           token_url = COALESCE($9, platforms.token_url),
           jwks_url = COALESCE($10, platforms.jwks_url),
           updated_at = now()
         RETURNING id`,
        [
          input.issuerId,
          input.iss,
          input.clientId,
          input.name ?? null,
          input.product ?? null,
          input.status ?? null,
          input.ltiKid ?? null,
          input.authUrl ?? null,
          input.tokenUrl ?? null,
          input.jwksUrl ?? null,
          input.registeredVia ?? null,
        ],
      );
      return (await one('p.id = $1', [rows[0]!.id]))!;
    },
    async setStatus(id, status) {
      await db.query('UPDATE platforms SET status = $2, updated_at = now() WHERE id = $1', [id, status]);
      return one('p.id = $1', [id]);
    },
    async rename(id, name) {
      await db.query('UPDATE platforms SET name = $2, updated_at = now() WHERE id = $1', [id, name]);
      return one('p.id = $1', [id]);
    },
    async addDeployment(platformId, deploymentId) {
      const { rowCount } = await db.query(
        'INSERT INTO deployments (platform_id, deployment_id) VALUES ($1, $2) ON CONFLICT DO NOTHING',
        [platformId, deploymentId],
      );
      return rowCount > 0;
    },
    async hasDeployment(platformId, deploymentId) {
      const { rowCount } = await db.query('SELECT 1 FROM deployments WHERE platform_id = $1 AND deployment_id = $2', [
        platformId,
        deploymentId,
      ]);
      return rowCount > 0;
    },
    async delete(id) {
      await db.query('DELETE FROM platforms WHERE id = $1', [id]);
    },
  };
}
