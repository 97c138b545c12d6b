/**
 * Anchor batches: which credentials go on-chain together, and where each one is
 * anchored. Like all of storage/, it returns domain types, and `null` when not found.
 */
import type { Queryable } from './database.ts';

export interface AnchorBatch {
  id: number;
  chainId: number;
  contractAddress: string;
  status: 'pending' | 'sent' | 'anchored';
  leafCount: number;
  txId: number | null;
  txHash: string | null;
  blockNumber: number | null;
  attempts: number;
  lastError: string | null;
}

export interface CredentialAnchorRecord {
  credentialHash: string;
  credentialId: string;
  batchId: number;
  leafIndex: number;
  status: AnchorBatch['status'];
  chainId: number;
  contractAddress: string;
  txHash: string | null;
  blockNumber: number | null;
}

function toBatch(row: Record<string, unknown>): AnchorBatch {
  return {
    id: Number(row.id),
    chainId: Number(row.chain_id),
    contractAddress: String(row.contract_address),
    status: row.status as AnchorBatch['status'],
    leafCount: Number(row.leaf_count),
    txId: row.tx_id == null ? null : Number(row.tx_id),
    txHash: (row.tx_hash as string | null) ?? null,
    blockNumber: row.block_number == null ? null : Number(row.block_number),
    attempts: Number(row.attempts),
    lastError: (row.last_error as string | null) ?? null,
  };
}

/** How many credentials have no anchor batch yet, and when the oldest was created. */
export async function unbatchedCredentialStats(db: Queryable): Promise<{ count: number; oldest: Date | null }> {
  const { rows } = await db.query<{ count: number | string; oldest: Date | string | null }>(
    `SELECT count(*) AS count, min(c.created_at) AS oldest FROM credentials c
     WHERE NOT EXISTS (SELECT 1 FROM credential_anchors a WHERE a.credential_hash = c.hash)`,
  );
  const oldest = rows[0]?.oldest;
  return { count: Number(rows[0]?.count ?? 0), oldest: oldest == null ? null : new Date(oldest) };
}

/**
 * Puts up to `size` credentials that have no anchor yet into a new batch, oldest first.
 * Call inside a transaction holding `lockAnchorBatching`.
 */
export async function createAnchorBatch(
  tx: Queryable,
  params: { chainId: number; contractAddress: string; size: number },
): Promise<AnchorBatch | null> {
  const { rows: pending } = await tx.query<{ id: string; hash: string }>(
    `SELECT c.id, c.hash FROM credentials c
     WHERE NOT EXISTS (SELECT 1 FROM credential_anchors a WHERE a.credential_hash = c.hash)
     ORDER BY c.created_at, c.hash LIMIT $1`,
    [params.size],
  );
  if (pending.length === 0) return null;
  const { rows } = await tx.query<Record<string, unknown>>(
    `INSERT INTO anchor_batches (chain_id, contract_address, leaf_count) VALUES ($1, $2, $3) RETURNING *`,
    [params.chainId, params.contractAddress, pending.length],
  );
  const batch = toBatch(rows[0]!);
  await tx.query(
    `INSERT INTO credential_anchors (credential_hash, credential_id, batch_id, leaf_index)
     SELECT hash, id, $1, ord - 1 FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS t(hash, id, ord)`,
    [batch.id, pending.map((row) => row.hash), pending.map((row) => row.id)],
  );
  return batch;
}

export async function lockAnchorBatching(tx: Queryable): Promise<void> {
  await tx.query("SELECT pg_advisory_xact_lock(hashtext('sello-anchor-batching'))");
}

/** Batches not yet anchored, oldest first. */
export async function listOpenBatches(db: Queryable, chainId: number): Promise<AnchorBatch[]> {
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT * FROM anchor_batches WHERE chain_id = $1 AND status <> 'anchored' ORDER BY id`,
    [chainId],
  );
  return rows.map(toBatch);
}

export async function getBatch(db: Queryable, id: number): Promise<AnchorBatch | null> {
  const { rows } = await db.query<Record<string, unknown>>('SELECT * FROM anchor_batches WHERE id = $1', [id]);
  return rows[0] ? toBatch(rows[0]) : null;
}

/** The batch's leaves (credential hashes) in leaf order. */
export async function listBatchLeaves(db: Queryable, batchId: number): Promise<string[]> {
  const { rows } = await db.query<{ credential_hash: string }>(
    'SELECT credential_hash FROM credential_anchors WHERE batch_id = $1 ORDER BY leaf_index',
    [batchId],
  );
  return rows.map((row) => row.credential_hash);
}

/**
 * Links a batch to the transaction that carries it (in the transaction that stores it).
 * The batch stays `pending` until a node has accepted the transaction.
 */
export async function linkBatchTransaction(db: Queryable, params: { batchId: number; txId: number; txHash: string }): Promise<boolean> {
  // Only an unlinked pending batch: another process may have sent it meanwhile.
  const result = await db.query(
    `UPDATE anchor_batches SET tx_id = $2, tx_hash = $3, attempts = attempts + 1, last_error = NULL
     WHERE id = $1 AND status = 'pending' AND tx_id IS NULL`,
    [params.batchId, params.txId, params.txHash],
  );
  return result.rowCount === 1;
}

/** A node accepted the batch's transaction. */
export async function markBatchSent(db: Queryable, params: { batchId: number }): Promise<void> {
  await db.query(`UPDATE anchor_batches SET status = 'sent', last_error = NULL WHERE id = $1 AND status = 'pending'`, [params.batchId]);
}

export async function markBatchAnchored(
  db: Queryable,
  params: { batchId: number; txHash: string; blockNumber: number; blockHash: string },
): Promise<void> {
  await db.query(
    `UPDATE anchor_batches SET status = 'anchored', tx_hash = $2, block_number = $3, block_hash = $4,
       last_error = NULL, anchored_at = now() WHERE id = $1`,
    [params.batchId, params.txHash, params.blockNumber, params.blockHash],
  );
}

/** Back to pending (its transaction reverted or was dropped, or sending failed). */
export async function markBatchPending(db: Queryable, params: { batchId: number; error: string }): Promise<void> {
  await db.query(
    `UPDATE anchor_batches SET status = 'pending', tx_id = NULL, tx_hash = NULL, last_error = $2 WHERE id = $1`,
    [params.batchId, params.error],
  );
}

export async function recordBatchError(db: Queryable, params: { batchId: number; error: string }): Promise<void> {
  await db.query('UPDATE anchor_batches SET last_error = $2 WHERE id = $1', [params.batchId, params.error]);
}

/** Where a credential is anchored (or queued), by its hash. */
export async function findCredentialAnchor(db: Queryable, credentialHash: string): Promise<CredentialAnchorRecord | null> {
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT a.credential_hash, a.credential_id, a.batch_id, a.leaf_index, b.status, b.chain_id, b.contract_address,
            b.tx_hash, b.block_number
     FROM credential_anchors a JOIN anchor_batches b ON b.id = a.batch_id WHERE a.credential_hash = $1`,
    [credentialHash],
  );
  const row = rows[0];
  if (!row) return null;
  return {
    credentialHash: String(row.credential_hash),
    credentialId: String(row.credential_id),
    batchId: Number(row.batch_id),
    leafIndex: Number(row.leaf_index),
    status: row.status as AnchorBatch['status'],
    chainId: Number(row.chain_id),
    contractAddress: String(row.contract_address),
    txHash: (row.tx_hash as string | null) ?? null,
    blockNumber: row.block_number == null ? null : Number(row.block_number),
  };
}

// ---- soulbound mints -------------------------------------------------------------
