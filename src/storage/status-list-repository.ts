import type { Queryable } from './database.ts';

export interface StatusListGroup {
  id: string;
  issuerId: string;
  /**
   * The issuer DID of the credentials on the group's lists, which must also issue the
   * lists. Null for groups made before lists were kept per DID that hold no credential.
   */
  issuerDid: string | null;
  length: number;
  allocated: number;
  version: number;
  createdAt: Date;
}

export type StatusPurpose = 'revocation' | 'suspension';

export interface StatusEvent {
  id: number;
  credentialId: string;
  credentialHash: string;
  purpose: StatusPurpose;
  value: boolean;
  reason: string | null;
  actor: string;
  at: Date;
  chainTxHash: string | null;
}

const groupColumns = `id, issuer_id AS "issuerId", issuer_did AS "issuerDid", length, allocated, version, created_at AS "createdAt"`;
const eventColumns = `id, credential_id AS "credentialId", credential_hash AS "credentialHash", purpose, value, reason, actor, at,
  chain_tx_hash AS "chainTxHash"`;

export interface StatusListRepository {
  /**
   * The newest group of the issuer's DID `issuerDid` with room (fill below `maxFill`),
   * created when none has room. Reads without locking the group: concurrent signings must
   * not queue behind it, so a few may take a group slightly past `maxFill`, which stays
   * far below its length.
   */
  findOpenGroup(params: { issuerId: string; issuerDid: string; length: number; maxFill: number }): Promise<StatusListGroup>;
  /**
   * Records `credentialId` at `index`; false when the index is taken (pick another). The
   * group's `allocated` counts it when the transaction commits (migration 0102).
   */
  claimIndex(params: { groupId: string; index: number; credentialId: string }): Promise<boolean>;
  findGroup(groupId: string): Promise<StatusListGroup | null>;
  /** Indexes whose bit is set for `purpose`. */
  setIndexes(groupId: string, purpose: StatusPurpose): Promise<number[]>;
  /** Sets one bit; returns the previous value, or null when the credential has no entry. */
  setBit(params: { credentialId: string; purpose: StatusPurpose; value: boolean }): Promise<{ previous: boolean; groupId: string } | null>;
  bumpVersion(groupId: string): Promise<void>;
  findDocument(listId: string): Promise<{ version: number; document: Record<string, unknown> } | null>;
  saveDocument(params: { listId: string; groupId: string; purpose: StatusPurpose; version: number; document: object }): Promise<void>;
  recordEvent(event: Omit<StatusEvent, 'id' | 'at' | 'chainTxHash'>): Promise<StatusEvent>;
  listEvents(credentialId: string): Promise<StatusEvent[]>;
}

/** SQL over the status list groups, entries, signed documents and status events. */
export function createStatusListRepository(db: Queryable): StatusListRepository {
  return {
    async findOpenGroup({ issuerId, issuerDid, length, maxFill }) {
      const open = await db.query<StatusListGroup>(
        `SELECT ${groupColumns} FROM status_list_groups WHERE issuer_id = $1 AND issuer_did = $2 AND allocated < $3
         ORDER BY created_at DESC LIMIT 1`,
        [issuerId, issuerDid, maxFill],
      );
      if (open.rows[0]) return open.rows[0];
      const created = await db.query<StatusListGroup>(
        `INSERT INTO status_list_groups (issuer_id, issuer_did, length, allocated) VALUES ($1, $2, $3, 0) RETURNING ${groupColumns}`,
        [issuerId, issuerDid, length],
      );
      return created.rows[0]!;
    },
    async claimIndex({ groupId, index, credentialId }) {
      const { rowCount } = await db.query(
        `INSERT INTO status_list_entries (group_id, idx, credential_id) VALUES ($1, $2, $3) ON CONFLICT (group_id, idx) DO NOTHING`,
        [groupId, index, credentialId],
      );
      return rowCount === 1;
    },
    async findGroup(groupId) {
      const { rows } = await db.query<StatusListGroup>(`SELECT ${groupColumns} FROM status_list_groups WHERE id = $1`, [groupId]);
      return rows[0] ?? null;
    },
    async setIndexes(groupId, purpose) {
      const column = purpose === 'revocation' ? 'revoked' : 'suspended';
      const { rows } = await db.query<{ idx: number }>(
        `SELECT idx FROM status_list_entries WHERE group_id = $1 AND ${column} ORDER BY idx`,
        [groupId],
      );
      return rows.map((row) => Number(row.idx));
    },
    async setBit({ credentialId, purpose, value }) {
      const column = purpose === 'revocation' ? 'revoked' : 'suspended';
      const { rows } = await db.query<{ previous: boolean; groupId: string }>(
        `UPDATE status_list_entries e SET ${column} = $2, updated_at = now()
         FROM (SELECT group_id, ${column} AS previous FROM status_list_entries WHERE credential_id = $1 FOR UPDATE) old
         WHERE e.credential_id = $1 RETURNING old.previous AS previous, e.group_id AS "groupId"`,
        [credentialId, value],
      );
      return rows[0] ?? null;
    },
    async bumpVersion(groupId) {
      await db.query('UPDATE status_list_groups SET version = version + 1 WHERE id = $1', [groupId]);
    },
    async findDocument(listId) {
      const { rows } = await db.query<{ version: number; document: Record<string, unknown> }>(
        'SELECT version, document FROM status_list_documents WHERE list_id = $1',
        [listId],
      );
      return rows[0] ?? null;
    },
    async saveDocument({ listId, groupId, purpose, version, document }) {
      // Two readers may sign the same version at once: never replace a newer version. The
      // same version is replaced: it is re-signed when the key that signs the list changed.
      await db.query(
        `INSERT INTO status_list_documents (list_id, group_id, purpose, version, document) VALUES ($1, $2, $3, $4, $5::jsonb)
         ON CONFLICT (list_id) DO UPDATE SET version = EXCLUDED.version, document = EXCLUDED.document, signed_at = now()
         WHERE status_list_documents.version <= EXCLUDED.version`,
        [listId, groupId, purpose, version, JSON.stringify(document)],
      );
    },
    async recordEvent(e) {
      const { rows } = await db.query<StatusEvent>(
        `INSERT INTO credential_status_events (credential_id, credential_hash, purpose, value, reason, actor)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${eventColumns}`,
        [e.credentialId, e.credentialHash, e.purpose, e.value, e.reason, e.actor],
      );
      return rows[0]!;
    },
    async listEvents(credentialId) {
      const { rows } = await db.query<StatusEvent>(
        `SELECT ${eventColumns} FROM credential_status_events WHERE credential_id = $1 ORDER BY id`,
        [credentialId],
      );
      return rows;
    },
  };
}
