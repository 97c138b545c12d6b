import type { Queryable } from './database.ts';
import type { PlatformProduct } from './platform-repository.ts';

export type RegistrationRequestStatus = 'pending' | 'approved' | 'rejected';

/**
 * A Dynamic Registration for an issuer Sello already knows, waiting for an administrator.
 * Its endpoints are used for nothing until it is approved.
 */
export interface RegistrationRequest {
  id: string;
  iss: string;
  clientId: string;
  name: string;
  product: PlatformProduct;
  authUrl: string;
  tokenUrl: string;
  jwksUrl: string;
  deploymentIds: string[];
  openidConfigurationUrl: string;
  replacesPlatformId: string | null;
  status: RegistrationRequestStatus;
  createdAt: Date;
  decidedAt: Date | null;
}

export type NewRegistrationRequest = Omit<RegistrationRequest, 'id' | 'status' | 'createdAt' | 'decidedAt'>;

const columns = `id, iss, client_id AS "clientId", name, product, auth_url AS "authUrl", token_url AS "tokenUrl",
  jwks_url AS "jwksUrl", deployment_ids AS "deploymentIds", openid_configuration_url AS "openidConfigurationUrl",
  replaces_platform_id AS "replacesPlatformId", status, created_at AS "createdAt", decided_at AS "decidedAt"`;

export interface RegistrationRequestRepository {
  create(input: NewRegistrationRequest): Promise<RegistrationRequest>;
  findById(id: string): Promise<RegistrationRequest | null>;
  listPending(): Promise<RegistrationRequest[]>;
  /** Decides a pending request; null when it is not pending (decided already, or unknown). */
  decide(id: string, status: Exclude<RegistrationRequestStatus, 'pending'>): Promise<RegistrationRequest | null>;
}

export function createRegistrationRequestRepository(db: Queryable): RegistrationRequestRepository {
  return {
    async create(input) {
      const { rows } = await db.query<RegistrationRequest>(
        `INSERT INTO platform_registration_requests
           (iss, client_id, name, product, auth_url, token_url, jwks_url, deployment_ids, openid_configuration_url, replaces_platform_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ${columns}`,
        [
          input.iss,
          input.clientId,
          input.name,
          input.product,
          input.authUrl,
          input.tokenUrl,
          input.jwksUrl,
          input.deploymentIds,
          input.openidConfigurationUrl,
          input.replacesPlatformId,
        ],
      );
      return rows[0]!;
    },
    async findById(id) {
      const { rows } = await db.query<RegistrationRequest>(`SELECT ${columns} FROM platform_registration_requests WHERE id = $1`, [id]);
      return rows[0] ?? null;
    },
    async listPending() {
      const { rows } = await db.query<RegistrationRequest>(
        `SELECT ${columns} FROM platform_registration_requests WHERE status = 'pending' ORDER BY created_at`,
      );
      return rows;
    },
    async decide(id, status) {
      const { rows } = await db.query<RegistrationRequest>(
        `UPDATE platform_registration_requests SET status = $2, decided_at = now() WHERE id = $1 AND status = 'pending' RETURNING ${columns}`,
        [id, status],
      );
      return rows[0] ?? null;
    },
  };
}
