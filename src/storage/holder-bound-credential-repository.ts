import type { Queryable } from './database.ts';

/** Which wallet protocol asked for a DID-bound credential. */
export type WalletProtocol = 'openid4vci' | 'vcapi';

/** A credential an award produced for a holder's DID (a wallet proved it holds the DID's key). */
export interface HolderBoundCredential {
  credentialId: string;
  holderDid: string;
  protocol: WalletProtocol;
  createdAt: Date;
}

export interface HolderBoundCredentialRepository {
  record(input: { credentialId: string; sourceCredentialId: string; holderDid: string; protocol: WalletProtocol; offerId?: string; exchangeId?: string }): Promise<void>;
  /** The DID-bound credentials produced from an award's credential, oldest first. */
  listOf(sourceCredentialId: string): Promise<HolderBoundCredential[]>;
}

/** SQL of `holder_bound_credentials` (`0470_openid4vci.sql`, renamed by `0520_vcapi_exchanges.sql`). */
export function createHolderBoundCredentialRepository(db: Queryable): HolderBoundCredentialRepository {
  return {
    async record({ credentialId, sourceCredentialId, holderDid, protocol, offerId, exchangeId }) {
      await db.query(
        `INSERT INTO holder_bound_credentials (credential_id, source_credential_id, holder_did, protocol, offer_id, exchange_id)
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [credentialId, sourceCredentialId, holderDid, protocol, offerId ?? null, exchangeId ?? null],
      );
    },
    async listOf(sourceCredentialId) {
      const { rows } = await db.query<HolderBoundCredential>(
        `SELECT credential_id AS "credentialId", holder_did AS "holderDid", protocol, created_at AS "createdAt"
         FROM holder_bound_credentials WHERE source_credential_id = $1 ORDER BY created_at, credential_id`,
        [sourceCredentialId],
      );
      return rows;
    },
  };
}
