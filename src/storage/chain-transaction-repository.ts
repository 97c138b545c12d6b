/**
 * The per-signer send queue: each transaction is stored signed before it is broadcast,
 * so a restart resends it instead of signing another with the same nonce. Like all of
 * storage/, it returns domain types, and `null` when not found.
 */
import type { Queryable } from './database.ts';

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
