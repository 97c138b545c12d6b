/**
 * What the chain capability reads across its queues (sizes for /health), and the
 * status changes (revocations, suspensions) it mirrors on-chain. The queues have files of their own: chain-journal-,
 * chain-transaction-, anchor-batch- and soulbound-mint-repository.ts. Like all of
 * storage/, it returns domain types, and `null` when not found.
 */
import type { Queryable } from './database.ts';

/** Queue sizes for /health. */
export async function chainQueueStats(db: Queryable): Promise<{ unbatched: number; openBatches: number; pendingMints: number }> {
  const { rows } = await db.query<{ unbatched: number | string; open_batches: number | string; pending_mints: number | string }>(
    `SELECT
       (SELECT count(*) FROM credentials c WHERE NOT EXISTS
          (SELECT 1 FROM credential_anchors a WHERE a.credential_hash = c.hash)) AS unbatched,
       (SELECT count(*) FROM anchor_batches WHERE status <> 'anchored') AS open_batches,
       (SELECT count(*) FROM token_mints WHERE status <> 'minted') AS pending_mints`,
  );
  return {
    unbatched: Number(rows[0]?.unbatched ?? 0),
    openBatches: Number(rows[0]?.open_batches ?? 0),
    pendingMints: Number(rows[0]?.pending_mints ?? 0),
  };
}

// ---- token metadata --------------------------------------------------------------

export interface StatusChangeToMirror {
  credentialHash: string;
  purpose: 'revocation' | 'suspension';
  /** The latest wanted state: true revoked (suspended), false reinstated (lifted). */
  value: boolean;
  reason: string | null;
  eventIds: number[];
}

/** Unmirrored status events of anchored credentials, folded to the latest per credential and purpose. */
export async function listStatusChangesToMirror(db: Queryable, limit: number): Promise<StatusChangeToMirror[]> {
  const { rows } = await db.query<{ credential_hash: string; purpose: string; value: boolean; reason: string | null; ids: Array<number | string> }>(
    `SELECT e.credential_hash, e.purpose,
            (array_agg(e.value ORDER BY e.id DESC))[1] AS value,
            (array_agg(e.reason ORDER BY e.id DESC))[1] AS reason,
            array_agg(e.id ORDER BY e.id) AS ids
     FROM credential_status_events e
     JOIN credential_anchors a ON a.credential_hash = e.credential_hash
     JOIN anchor_batches b ON b.id = a.batch_id AND b.status = 'anchored'
     WHERE e.chain_tx_hash IS NULL AND e.purpose IN ('revocation', 'suspension')
     GROUP BY e.credential_hash, e.purpose
     ORDER BY min(e.id)
     LIMIT $1`,
    [limit],
  );
  return rows.map((row) => ({
    credentialHash: row.credential_hash,
    purpose: row.purpose as 'revocation' | 'suspension',
    value: row.value,
    reason: row.reason,
    eventIds: row.ids.map(Number),
  }));
}

/** Marks events mirrored; false when another process already did (nothing changed). */
export async function markRevocationsMirrored(db: Queryable, params: { eventIds: number[]; txHash: string }): Promise<boolean> {
  const result = await db.query(
    `UPDATE credential_status_events SET chain_tx_hash = $2 WHERE id = ANY($1::bigint[]) AND chain_tx_hash IS NULL`,
    [params.eventIds, params.txHash],
  );
  return result.rowCount === params.eventIds.length;
}

/** Events whose mirroring transaction reverted or was dropped go back to the queue. */
export async function requeueFailedRevocationMirrors(db: Queryable): Promise<number> {
  const result = await db.query(
    `UPDATE credential_status_events e SET chain_tx_hash = NULL
     FROM chain_transactions t
     WHERE e.chain_tx_hash = t.tx_hash AND t.status IN ('reverted', 'dropped')`,
  );
  return result.rowCount;
}
