/**
 * The chain capability's SQL: the embedded chain's journal, deployments, the per-signer
 * send queue, anchor batches and soulbound mints. Everything returns domain types, and
 * `null` when not found.
 */
import type { Queryable } from './database.ts';

export interface JournalEntry {
  seq: number;
  chainId: number;
  txHash: string;
  rawTx: string;
  blockNumber: number;
  blockHash: string;
  blockTimestamp: number;
}

export type ChainTransactionStatus = 'signed' | 'sent' | 'mined' | 'confirmed' | 'reverted' | 'dropped';

export interface ChainTransaction {
  id: number;
  chainId: number;
  signer: string;
  nonce: number;
  purpose: string;
  rawTx: string;
  txHash: string;
  status: ChainTransactionStatus;
  blockNumber: number | null;
  blockHash: string | null;
  gasUsed: number | null;
  attempts: number;
  lastError: string | null;
}

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

export interface PendingMint {
  credentialHash: string;
  walletAddress: string;
}

// ---- journal ---------------------------------------------------------------------

export async function appendJournalEntry(db: Queryable, entry: Omit<JournalEntry, 'seq'>): Promise<void> {
  await db.query(
    `INSERT INTO chain_journal (chain_id, tx_hash, raw_tx, block_number, block_hash, block_timestamp)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tx_hash) DO NOTHING`,
    [entry.chainId, entry.txHash, entry.rawTx, entry.blockNumber, entry.blockHash, entry.blockTimestamp],
  );
}

export async function listJournal(db: Queryable, chainId: number): Promise<JournalEntry[]> {
  const { rows } = await db.query<Record<string, unknown>>(
    'SELECT * FROM chain_journal WHERE chain_id = $1 ORDER BY seq',
    [chainId],
  );
  return rows.map((row) => ({
    seq: Number(row.seq),
    chainId: Number(row.chain_id),
    txHash: String(row.tx_hash),
    rawTx: String(row.raw_tx),
    blockNumber: Number(row.block_number),
    blockHash: String(row.block_hash),
    blockTimestamp: Number(row.block_timestamp),
  }));
}

// ---- deployments -----------------------------------------------------------------

export async function getDeployment(db: Queryable, chainId: number): Promise<{ contractAddress: string; txHash: string | null } | null> {
  const { rows } = await db.query<{ contract_address: string; tx_hash: string | null }>(
    'SELECT contract_address, tx_hash FROM chain_deployments WHERE chain_id = $1',
    [chainId],
  );
  return rows[0] ? { contractAddress: rows[0].contract_address, txHash: rows[0].tx_hash } : null;
}

export async function saveDeployment(
  db: Queryable,
  deployment: { chainId: number; contractAddress: string; txHash: string | null; blockNumber: number | null },
): Promise<void> {
  await db.query(
    `INSERT INTO chain_deployments (chain_id, contract_address, tx_hash, block_number) VALUES ($1, $2, $3, $4)
     ON CONFLICT (chain_id) DO UPDATE SET contract_address = EXCLUDED.contract_address,
       tx_hash = EXCLUDED.tx_hash, block_number = EXCLUDED.block_number, deployed_at = now()`,
    [deployment.chainId, deployment.contractAddress, deployment.txHash, deployment.blockNumber],
  );
}

// ---- send queue ------------------------------------------------------------------

function toTransaction(row: Record<string, unknown>): ChainTransaction {
  return {
    id: Number(row.id),
    chainId: Number(row.chain_id),
    signer: String(row.signer),
    nonce: Number(row.nonce),
    purpose: String(row.purpose),
    rawTx: String(row.raw_tx),
    txHash: String(row.tx_hash),
    status: row.status as ChainTransactionStatus,
    blockNumber: row.block_number == null ? null : Number(row.block_number),
    blockHash: (row.block_hash as string | null) ?? null,
    gasUsed: row.gas_used == null ? null : Number(row.gas_used),
    attempts: Number(row.attempts),
    lastError: (row.last_error as string | null) ?? null,
  };
}

/**
 * Serialises nonce assignment for one signer across every Sello process sharing the
 * database, until the surrounding transaction ends.
 */
export async function lockSignerQueue(tx: Queryable, params: { chainId: number; signer: string }): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`sello-chain-signer:${params.chainId}:${params.signer}`]);
}

/** The nonce after the highest one this signer has used (dropped ones included). */
export async function nextQueuedNonce(tx: Queryable, params: { chainId: number; signer: string }): Promise<number> {
  const { rows } = await tx.query<{ next: number | string | null }>(
    'SELECT max(nonce) + 1 AS next FROM chain_transactions WHERE chain_id = $1 AND signer = $2',
    [params.chainId, params.signer],
  );
  return rows[0]?.next == null ? 0 : Number(rows[0].next);
}

export async function insertTransaction(
  tx: Queryable,
  params: { chainId: number; signer: string; nonce: number; purpose: string; rawTx: string; txHash: string },
): Promise<ChainTransaction> {
  const { rows } = await tx.query<Record<string, unknown>>(
    `INSERT INTO chain_transactions (chain_id, signer, nonce, purpose, raw_tx, tx_hash)
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
    [params.chainId, params.signer, params.nonce, params.purpose, params.rawTx, params.txHash],
  );
  return toTransaction(rows[0]!);
}

export async function getTransaction(db: Queryable, id: number): Promise<ChainTransaction | null> {
  const { rows } = await db.query<Record<string, unknown>>('SELECT * FROM chain_transactions WHERE id = $1', [id]);
  return rows[0] ? toTransaction(rows[0]) : null;
}

/** Transactions not yet final for this signer, lowest nonce first. */
export async function listOpenTransactions(db: Queryable, params: { chainId: number; signer: string }): Promise<ChainTransaction[]> {
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT * FROM chain_transactions WHERE chain_id = $1 AND signer = $2 AND status IN ('signed', 'sent', 'mined')
     ORDER BY nonce`,
    [params.chainId, params.signer],
  );
  return rows.map(toTransaction);
}

export async function updateTransaction(
  db: Queryable,
  id: number,
  change: {
    status: ChainTransactionStatus;
    blockNumber?: number | null;
    blockHash?: string | null;
    gasUsed?: number | null;
    lastError?: string | null;
    attempted?: boolean;
  },
): Promise<void> {
  await db.query(
    `UPDATE chain_transactions SET status = $2,
       block_number = CASE WHEN $3::boolean THEN $4::bigint ELSE block_number END,
       block_hash = CASE WHEN $3::boolean THEN $5::text ELSE block_hash END,
       gas_used = COALESCE($6::bigint, gas_used),
       last_error = $7::text,
       attempts = attempts + CASE WHEN $8::boolean THEN 1 ELSE 0 END,
       updated_at = now()
     WHERE id = $1`,
    [
      id,
      change.status,
      change.blockNumber !== undefined,
      change.blockNumber ?? null,
      change.blockHash ?? null,
      change.gasUsed ?? null,
      change.lastError ?? null,
      change.attempted ?? false,
    ],
  );
}

// ---- anchor batches --------------------------------------------------------------

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

/**
 * Queues a mint for every anchored credential whose recipient has a wallet and no token
 * yet. Returns how many were queued.
 */
export async function enqueueMints(db: Queryable): Promise<number> {
  const result = await db.query(
    `INSERT INTO token_mints (credential_hash, wallet_address)
     SELECT c.hash, u.wallet_address FROM credentials c
       JOIN users u ON u.id = c.recipient_user_id
       JOIN credential_anchors a ON a.credential_hash = c.hash
       JOIN anchor_batches b ON b.id = a.batch_id AND b.status = 'anchored'
     WHERE u.wallet_address IS NOT NULL
     ON CONFLICT (credential_hash) DO NOTHING`,
  );
  return result.rowCount;
}

export async function listPendingMints(db: Queryable, limit: number): Promise<PendingMint[]> {
  const { rows } = await db.query<{ credential_hash: string; wallet_address: string }>(
    `SELECT credential_hash, wallet_address FROM token_mints WHERE status = 'pending' ORDER BY created_at, credential_hash LIMIT $1`,
    [limit],
  );
  return rows.map((row) => ({ credentialHash: row.credential_hash, walletAddress: row.wallet_address }));
}

/** Mints carried by an open transaction, grouped by that transaction. */
export async function listSentMints(db: Queryable): Promise<Array<{ txId: number; hashes: string[] }>> {
  const { rows } = await db.query<{ tx_id: number | string; hashes: string[] }>(
    `SELECT tx_id, array_agg(credential_hash ORDER BY credential_hash) AS hashes FROM token_mints
     WHERE status = 'sent' GROUP BY tx_id ORDER BY tx_id`,
  );
  return rows.map((row) => ({ txId: Number(row.tx_id), hashes: row.hashes }));
}

/** Links pending mints to their transaction; false when another process took any of them. */
export async function markMintsSent(db: Queryable, params: { hashes: string[]; txId: number; txHash: string }): Promise<boolean> {
  const result = await db.query(
    `UPDATE token_mints SET status = 'sent', tx_id = $2, tx_hash = $3, last_error = NULL
     WHERE credential_hash = ANY($1::text[]) AND status = 'pending'`,
    [params.hashes, params.txId, params.txHash],
  );
  return result.rowCount === params.hashes.length;
}

export async function markMintsMinted(db: Queryable, params: { txId: number; blockNumber: number }): Promise<void> {
  await db.query(
    `UPDATE token_mints SET status = 'minted', block_number = $2, minted_at = now() WHERE tx_id = $1 AND status = 'sent'`,
    [params.txId, params.blockNumber],
  );
}

export async function markMintsPending(db: Queryable, params: { txId: number; error: string }): Promise<void> {
  await db.query(
    `UPDATE token_mints SET status = 'pending', tx_id = NULL, tx_hash = NULL, last_error = $2 WHERE tx_id = $1 AND status = 'sent'`,
    [params.txId, params.error],
  );
}

export async function recordMintError(db: Queryable, params: { hashes: string[]; error: string }): Promise<void> {
  await db.query('UPDATE token_mints SET last_error = $2 WHERE credential_hash = ANY($1::text[])', [params.hashes, params.error]);
}

// ---- wallets ---------------------------------------------------------------------

/** Sets a user's wallet; false when the user does not exist. */
export async function setUserWallet(db: Queryable, params: { userId: string; walletAddress: string }): Promise<boolean> {
  const result = await db.query('UPDATE users SET wallet_address = $2, updated_at = now() WHERE id = $1', [
    params.userId,
    params.walletAddress,
  ]);
  return result.rowCount > 0;
}

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

/** The signed credential a token id (credential hash) stands for. */
export async function findCredentialByHash(db: Queryable, credentialHash: string): Promise<{ id: string; document: unknown } | null> {
  const { rows } = await db.query<{ id: string; document: unknown }>('SELECT id, document FROM credentials WHERE hash = $1', [
    credentialHash,
  ]);
  return rows[0] ?? null;
}

// ---- revocation mirror -----------------------------------------------------------
// `credential_status_events` (credentials capability, 0100) records every status change;
// the chain capability mirrors revocations of anchored credentials on-chain and writes
// the carrying transaction's hash into `chain_tx_hash` (or `unchanged` when the chain
// already had that state). Suspensions are not mirrored: they are temporary and the
// status list carries them.

export interface RevocationToMirror {
  credentialHash: string;
  /** The latest wanted state: true revoked, false reinstated. */
  revoked: boolean;
  reason: string | null;
  eventIds: number[];
}

/** Unmirrored revocation events of anchored credentials, folded to the latest per credential. */
export async function listRevocationsToMirror(db: Queryable, limit: number): Promise<RevocationToMirror[]> {
  const { rows } = await db.query<{ credential_hash: string; value: boolean; reason: string | null; ids: Array<number | string> }>(
    `SELECT e.credential_hash,
            (array_agg(e.value ORDER BY e.id DESC))[1] AS value,
            (array_agg(e.reason ORDER BY e.id DESC))[1] AS reason,
            array_agg(e.id ORDER BY e.id) AS ids
     FROM credential_status_events e
     JOIN credential_anchors a ON a.credential_hash = e.credential_hash
     JOIN anchor_batches b ON b.id = a.batch_id AND b.status = 'anchored'
     WHERE e.chain_tx_hash IS NULL AND e.purpose = 'revocation'
     GROUP BY e.credential_hash
     ORDER BY min(e.id)
     LIMIT $1`,
    [limit],
  );
  return rows.map((row) => ({
    credentialHash: row.credential_hash,
    revoked: row.value,
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
     WHERE e.chain_tx_hash = t.tx_hash AND t.status IN ('reverted', 'dropped') AND e.purpose = 'revocation'`,
  );
  return result.rowCount;
}
